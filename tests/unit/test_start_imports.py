"""What a start imports and builds (docs/performance.md, "Embedded start"): every pydantic model of
the project is built on first use, and a process running one service imports only that service."""

import subprocess
import sys

from pydantic import BaseModel

from services.registry import service_classes
from shared.config import SERVICE_NAMES
from shared.model import Model
from tests.support import ROOT


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_project_model_derives_from_the_project_base_and_is_built_on_first_use():
    service_classes()  # imports every service, and with them their schemas, pages and events
    project = {m for m in _subclasses(BaseModel) if m.__module__.split(".")[0] in ("services", "shared")}
    assert len(project) > 300
    assert sorted(m.__qualname__ for m in project if not issubclass(m, Model)) == []
    assert sorted(m.__qualname__ for m in project if m.model_config.get("defer_build") is not True) == []


def test_deferred_models_validate_and_answer_errors_as_before():
    from services.enrollment.schemas import CourseIn

    problems = None
    try:
        CourseIn.model_validate({"title": {"lt": ""}, "duration_hours": 0, "unknown": 1})
    except Exception as error:  # pydantic.ValidationError
        problems = {(".".join(map(str, e["loc"])), e["type"]) for e in error.errors()}
    assert {("title.lt", "string_too_short"), ("duration_hours", "greater_than"),
            ("unknown", "extra_forbidden")} <= problems


def test_a_process_running_one_service_imports_only_that_service():
    for name in SERVICE_NAMES:
        code = ("import sys; from services.registry import service_classes; "
                f"assert list(service_classes([{name!r}])) == [{name!r}]; "
                "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('services.')}))")
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        assert out.stdout.split("\n")[0] == str(sorted([name, "registry"])), (name, out.stdout, out.stderr)
