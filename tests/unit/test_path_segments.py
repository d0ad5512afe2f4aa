"""Every self-service link's code is a path segment the HTTP layer routes (base64url, so it may
start with `-` or `_`); before, about 3 links in 100 answered 404 "no route"."""

import re
import uuid

from services.enrollment.domain.codes import enrollment_code
from shared.limits import PATH_SEGMENT


def test_every_self_service_code_is_a_routable_path_segment():
    segment = re.compile(f"^{PATH_SEGMENT}$")
    codes = [enrollment_code("unit-test-secret", uuid.UUID(int=n)) for n in range(2000)]
    assert any(c.startswith("-") for c in codes) and any("_" in c for c in codes)
    assert [c for c in codes if not segment.match(c)] == []
    assert not segment.match(".") and not segment.match("..") and not segment.match("a/b")
