"""The pylti1p3 Flask example's way of launching, as a reference for bench/launch.py.

Follows ``dmitry-viskov/pylti1.3-flask-example`` ``game/app.py`` (login and launch views):
launch data in flask-caching's per-process ``SimpleCache`` (``CACHE_TYPE: simple``), a
``FlaskOIDCLogin`` redirect, a ``FlaskMessageLaunch`` whose ``get_launch_data()`` validates
the id_token, and the first page rendered by the launch view itself. As the example ships,
no public-key cache is set, so the platform JWKS is fetched on every launch (a new
``requests.Session`` per launch, as pylti1p3 makes one per ``MessageLaunch``).

Left out, each to the example's advantage: ``enable_check_cookies()`` (it needs a template
the fork does not ship), the ``pprint`` of the launch data to stdout, ``DEBUG: True`` and
re-reading the JSON config file per request (``ToolConfDict`` is built once here).

Served by gunicorn: ``gunicorn 'bench.pylti1p3_example:create_app()'`` with the platform
in ``BENCH_ISSUER``, ``BENCH_CLIENT_ID``, ``BENCH_DEPLOYMENT_ID`` and ``BENCH_JWKS_URL``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request
from flask_caching import Cache
from pylti1p3.contrib.flask.launch_data_storage.cache import FlaskCacheDataStorage
from pylti1p3.contrib.flask.message_launch import FlaskMessageLaunch
from pylti1p3.contrib.flask.oidc_login import FlaskOIDCLogin
from pylti1p3.contrib.flask.request import FlaskRequest
from pylti1p3.tool_config.dict import ToolConfDict

PAGE_TITLE = "Game Example"


def tool_conf_dict(issuer: str, client_id: str, deployment_id: str, jwks_url: str) -> Any:
    return ToolConfDict({issuer: [{
        "default": True,
        "client_id": client_id,
        "auth_login_url": f"{issuer}/auth",
        "auth_token_url": f"{issuer}/token",
        "key_set_url": jwks_url,
        "key_set": None,
        "deployment_ids": [deployment_id],
    }]})


def create_app() -> Flask:
    env = os.environ
    tool_conf = tool_conf_dict(env["BENCH_ISSUER"], env["BENCH_CLIENT_ID"],
                               env["BENCH_DEPLOYMENT_ID"], env["BENCH_JWKS_URL"])
    app = Flask("pylti1p3-game-example",
                template_folder=str(Path(__file__).resolve().parent / "templates"))
    app.config.from_mapping({
        "CACHE_TYPE": "SimpleCache",  # the example's "simple": per process
        "CACHE_DEFAULT_TIMEOUT": 600,
        "SECRET_KEY": "replace-me",
        "SESSION_COOKIE_NAME": "pylti1p3-flask-app-sessionid",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_SAMESITE": None,
    })
    cache = Cache(app)

    def get_launch_data_storage() -> Any:
        return FlaskCacheDataStorage(cache)  # type: ignore[no-untyped-call]

    @app.route("/login/", methods=["GET", "POST"])
    def login() -> Any:
        flask_request = FlaskRequest()  # type: ignore[no-untyped-call]
        target_link_uri = flask_request.get_param(  # type: ignore[no-untyped-call]
            "target_link_uri")
        if not target_link_uri:
            raise ValueError('Missing "target_link_uri" param')
        oidc_login = FlaskOIDCLogin(flask_request, tool_conf,
                                    launch_data_storage=get_launch_data_storage())
        return oidc_login.redirect(target_link_uri)

    @app.route("/launch/", methods=["POST"])
    def launch() -> str:
        flask_request = FlaskRequest()  # type: ignore[no-untyped-call]
        message_launch = FlaskMessageLaunch(flask_request, tool_conf,
                                            launch_data_storage=get_launch_data_storage())
        message_launch_data = message_launch.get_launch_data()
        difficulty = message_launch_data.get(
            "https://purl.imsglobal.org/spec/lti/claim/custom", {}).get("difficulty", None)
        if not difficulty:
            difficulty = request.args.get("difficulty", "normal")
        return render_template(
            "game.html",
            page_title=PAGE_TITLE,
            is_deep_link_launch=message_launch.is_deep_link_launch(),
            launch_data=message_launch.get_launch_data(),
            launch_id=message_launch.get_launch_id(),
            curr_user_name=message_launch_data.get("name", ""),
            curr_diff=difficulty,
        )

    return app
