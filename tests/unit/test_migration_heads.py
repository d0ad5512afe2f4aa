"""The start-up check that skips Alembic when a database is already at head (shared/migrations.py):
the heads read from the migration files are Alembic's own, and a database below them, or never
migrated, is still upgraded."""

from __future__ import annotations

import subprocess
import sys

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from shared import migrations
from shared.persistence.engines import dispose_engines

SERVICES = ("enrollment", "grants", "partners", "notifications")


@pytest.mark.parametrize("service", SERVICES)
def test_the_heads_read_from_the_files_are_alembics(service):
    config = migrations.alembic_config(service, "sqlite://")
    assert migrations.file_heads(service) == frozenset(ScriptDirectory.from_config(config).get_heads())


@pytest.mark.parametrize("service", ["grants", "partners"])
def test_a_database_below_head_is_still_upgraded(service, tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    try:
        assert migrations.current_revisions(url) == frozenset() and not migrations.at_heads(service, url)
        migrations.upgrade(service, url)
        assert migrations.at_heads(service, url)
        command.downgrade(migrations.alembic_config(service, url), "-1")
        assert not migrations.at_heads(service, url)
        migrations.upgrade(service, url)
        assert migrations.current_revisions(url) == migrations.file_heads(service)
        assert migrations.current_revision(url) == migrations.head_revision(service, url)
    finally:
        dispose_engines()


def test_a_database_at_head_is_checked_without_importing_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    migrations.upgrade("partners", url)
    dispose_engines()
    probe = ("import sys; from shared import migrations; "
             f"migrations.upgrade('partners', {url!r}); print(sorted(m for m in sys.modules if m.startswith('alembic')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
