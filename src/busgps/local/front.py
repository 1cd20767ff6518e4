"""The local stack's front door, as CloudFront is deployed: the map's static files under /map/, its
settings at /map/config.json, and every other path to the local API gateway."""

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from busgps.local.config import EnvironmentSettings

MAP_PATH = "/map"
# The page the map is opened at, deployed (CloudFront serves no index under a path) and locally.
MAP_PAGE = f"{MAP_PATH}/index.html"


def map_config(settings: EnvironmentSettings, api_url: str, websocket_url: str) -> dict[str, Any]:
    """The map page's /map/config.json; Terraform writes the same keys for a deployed environment."""
    return {
        "apiUrl": api_url,
        "websocketUrl": websocket_url,
        "tileUrl": settings.map_tile_url,
        "tileAttribution": settings.map_tile_attribution,
        "staleAfterSeconds": settings.map_stale_after_seconds,
        "maxAgeSeconds": settings.feed_max_age_seconds,
    }


def create_front_app(gateway: ASGIApp, map_dir: Path, config: dict[str, Any]) -> Starlette:
    async def config_json(request: Request) -> JSONResponse:
        # Read at every load, as CloudFront is told not to cache it: a redeploy changes it.
        return JSONResponse(config, headers={"Cache-Control": "no-cache"})

    app = Starlette(
        routes=[
            Route(f"{MAP_PATH}/config.json", config_json),
            Mount(MAP_PATH, app=StaticFiles(directory=map_dir, check_dir=False)),
        ]
    )
    app.router.default = gateway
    return app
