"""The framework ceiling every Autofacts figure is compared with: a bare FastAPI route
returning a constant ~300-byte company through ``response_model``.

Adapted from the team's shared harness (shared/bench/asgi_ceiling.py, its ``/pydantic``
route), so that the repository benchmarks on its own.

    uvicorn ceiling:app --app-dir bench --loop uvloop --http httptools --no-access-log
"""

from fastapi import FastAPI
from pydantic import BaseModel

PAYLOAD: dict[str, object] = {
    "id": 1,
    "slug": "honda",
    "name": "Honda Motor Co., Ltd.",
    "country": "Japan",
    "hq_city": "Tokyo",
    "founded_year": 1948,
    "kind": "automaker",
    "executives": [
        {
            "id": 1,
            "name": "Toshihiro Mibe",
            "title": "President and CEO",
            "start_date": "2021-04-01",
        },
        {"id": 9, "name": "Eiji Fujimura", "title": "CFO", "start_date": "2023-04-01"},
    ],
}


class Executive(BaseModel):
    id: int
    name: str
    title: str
    start_date: str


class Company(BaseModel):
    id: int
    slug: str
    name: str
    country: str
    hq_city: str | None = None
    founded_year: int | None = None
    kind: str
    executives: list[Executive] = []


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/pydantic", response_model=Company)
async def const_pydantic() -> object:
    return PAYLOAD
