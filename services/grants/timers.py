"""A nameko timer whose interval comes from the settings (SAVIVALDA_TIMER_INTERVAL), so tests and
small installations can run the deadline scan often and production hourly or per minute."""

from __future__ import annotations

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    def __init__(self, **kwargs):
        super().__init__(interval=60.0, **kwargs)

    def setup(self):
        self.interval = self.container.config["SAVIVALDA"].timer_interval
        super().setup()


configured_timer = ConfiguredTimer.decorator
