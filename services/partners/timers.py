"""A nameko timer whose interval comes from the settings (SAVIVALDA_TIMER_INTERVAL), not from
the decorator: nameko's @timer fixes it when the class is defined, before any configuration."""

from __future__ import annotations

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    kind = "timer"

    def __init__(self, **kwargs):
        super().__init__(interval=60.0, **kwargs)

    def setup(self):
        self.interval = self.container.config["SAVIVALDA"].timer_interval
        super().setup()


configured_timer = ConfiguredTimer.decorator
