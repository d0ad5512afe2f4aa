"""The one timer every service uses: nameko's Timer with its interval from the settings.

nameko's `@timer(interval=...)` fixes the interval when the class is defined, before any
configuration is read. `SettingsTimer` reads it when the container is set up, from
SAVIVALDA_TIMER_INTERVAL (`Settings.timer_interval`), so tests and small installations can run
the scans often and production hourly or per minute:

    from shared.timers import timer

    class GrantsService(ServiceBase):
        @timer            # or @timer()
        def run_timers(self): ...
"""

from __future__ import annotations

from nameko.timer import Timer


class SettingsTimer(Timer):
    kind = "timer"

    def __init__(self, **kwargs):
        super().__init__(interval=60.0, **kwargs)  # replaced in setup(), before the timer starts

    def setup(self):
        self.interval = self.container.config["SAVIVALDA"].timer_interval
        super().setup()


timer = SettingsTimer.decorator
