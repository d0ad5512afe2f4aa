"""The API gateway's nginx configuration: nginx itself accepts it, and it routes exactly the
services' prefixes to the compose services of that name."""

from __future__ import annotations

import re
import subprocess

from tests.deploy.compose import APP_SERVICES, DEPLOY, environment, load_raw

CONFIG = DEPLOY / "gateway" / "savivalda.conf"


def test_nginx_accepts_the_gateway_configuration(nginx_binary, tmp_path):
    # The nginx image includes conf.d/*.conf inside its http block; do the same around it.
    (tmp_path / "logs").mkdir()
    main = tmp_path / "nginx.conf"
    temp_paths = "".join(f"  {kind}_temp_path {tmp_path}/{kind};\n"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
                    f"http {{\n  access_log off;\n{temp_paths}  include {CONFIG};\n}}\n")
    done = subprocess.run([nginx_binary, "-t", "-p", str(tmp_path), "-c", str(main)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_the_gateway_routes_each_service_prefix_to_that_service_http_port():
    text = CONFIG.read_text()
    (prefixes,) = re.findall(r"location ~ \^/\(([a-z|]+)\)", text)
    assert tuple(prefixes.split("|")) == APP_SERVICES
    services = load_raw()["services"]
    ports = {environment(services[s])["SAVIVALDA_HTTP_ADDRESS"].rsplit(":", 1)[1] for s in APP_SERVICES}
    assert ports == {"8000"}
    assert "proxy_pass http://$service:8000;" in text
    # Docker's embedded DNS, re-asked while running so that scaled replicas are found.
    assert re.search(r"resolver 127\.0\.0\.11 valid=\d+s", text)
    gateway = services["gateway"]
    assert gateway["volumes"] == ["./gateway/savivalda.conf:/etc/nginx/conf.d/default.conf:ro"]
    assert {dep: cond["condition"] for dep, cond in gateway["depends_on"].items()} == {
        s: "service_healthy" for s in APP_SERVICES}
