"""Battle Station's serving: nginx in the web image, Vercel in production. Both put the
api under the web's own origin at /api, so the session cookie stays first-party."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from .inventory import ROOT, dockerfile, fly_configs, python_image

CONF = (ROOT / "web" / "nginx.conf").read_text()
WEB = dockerfile("web/Dockerfile")


def location(prefix: str) -> str:
    match = re.search(rf"location\s+{re.escape(prefix)}\s*\{{(.*?)\n    \}}", CONF, re.DOTALL)
    assert match, f"nginx.conf has no `location {prefix}`"
    return match.group(1)


def api_port() -> int:
    command = python_image("api").dockerfile.final("CMD")[-1].exec_form()
    return int(command[command.index("--port") + 1])


class TestNginx:
    def test_api_prefix_is_stripped_and_proxied_to_the_upstream(self) -> None:
        block = location("/api/")
        variable = re.search(r"set\s+(\$\w+)\s+\$\{API_UPSTREAM\};", block)
        assert variable, "the upstream comes from API_UPSTREAM"
        assert re.search(r"rewrite\s+\^/api/\(\.\*\)\$\s+/\$1\s+break;", block)
        assert re.search(rf"proxy_pass\s+{re.escape(variable.group(1))};", block)

    def test_upstream_is_resolved_at_request_time(self) -> None:
        # A variable in proxy_pass needs a resolver, or nginx cannot reach the api at all.
        assert re.search(r"^\s*resolver\s+\$\{NGINX_LOCAL_RESOLVERS\}", CONF, re.MULTILINE)
        assert WEB.env(WEB.final_stage).get("NGINX_ENTRYPOINT_LOCAL_RESOLVERS")

    def test_client_routes_fall_back_to_the_app_shell(self) -> None:
        assert re.search(r"try_files\s+\$uri\s+\$uri/\s+/index\.html;", location("/"))

    def test_every_template_variable_is_set_by_the_image(self) -> None:
        # envsubst leaves an unset ${X} in place, and nginx then refuses the config.
        env = WEB.env(WEB.final_stage)
        provided = set(env) | {"NGINX_LOCAL_RESOLVERS"}
        used = set(re.findall(r"\$\{([A-Z_]+)\}", CONF))
        assert used <= provided
        assert set(env) - {"NGINX_ENTRYPOINT_LOCAL_RESOLVERS"} <= used

    def test_default_upstream_is_the_api_container(self) -> None:
        upstream = urlsplit(WEB.env(WEB.final_stage)["API_UPSTREAM"])
        assert upstream.hostname == "api"
        assert upstream.port == api_port()

    def test_listens_where_the_image_says(self) -> None:
        listens = [int(p) for p in re.findall(r"^\s*listen\s+(\d+);", CONF, re.MULTILINE)]
        assert listens == [int(x.args) for x in WEB.final("EXPOSE")]

    def test_config_is_installed_as_a_template(self) -> None:
        [copy] = [c for c in WEB.local_copies() if c[0] == ["web/nginx.conf"]]
        assert copy[1].startswith("/etc/nginx/templates/")
        assert copy[1].endswith(".conf.template")


class TestVercel:
    config = json.loads((ROOT / "web" / "vercel.json").read_text())

    def test_builds_the_vite_app(self) -> None:
        assert self.config["installCommand"] == "npm ci"
        assert self.config["buildCommand"] == "npm run build"
        assert self.config["outputDirectory"] == "dist"

    def test_api_is_rewritten_to_the_api_fly_app(self) -> None:
        rewrites = self.config["rewrites"]
        api = rewrites[0]
        assert api["source"] == "/api/(.*)"
        destination = urlsplit(api["destination"])
        assert destination.scheme == "https"
        assert destination.hostname == f"{fly_configs()['api']['app']}.fly.dev"
        assert destination.path == "/$1", "the api's routes have no /api prefix"

    def test_app_shell_fallback_comes_after_the_api(self) -> None:
        sources = [r["source"] for r in self.config["rewrites"]]
        assert sources[-1] == "/(.*)"
        assert self.config["rewrites"][-1]["destination"] == "/index.html"
        assert sources.index("/api/(.*)") < sources.index("/(.*)")
