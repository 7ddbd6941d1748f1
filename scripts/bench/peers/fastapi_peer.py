"""The peer Airlock's cached read is compared with: FastAPI + uvicorn (one worker) + redis-py +
SQLite, doing the same hot path. An API key is looked up by its SHA-256 in SQLite (key not
revoked, owner active), the request's owner is checked in SQLite, a per-minute counter is
counted in Redis (INCR + EXPIRE) and the response body is read from Redis, the three Redis
commands in one pipelined round trip.

Run by scripts/bench/cases/fastapi.ts:
  PEER_DB=... PEER_REDIS_URL=... PEER_API_KEY=... PEER_REQUEST_ID=... PEER_BODY=... \
  python3 -m uvicorn fastapi_peer:app --app-dir scripts/bench/peers --host 127.0.0.1 --port N --workers 1
"""

import hashlib
import os
import sqlite3
import time
from typing import Optional

import redis.asyncio as aioredis
from fastapi import FastAPI, Header, HTTPException
from fastapi.responses import Response

LIMIT_PER_MINUTE = 1_000_000_000


def seed(path: str) -> None:
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, status TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS api_keys (key_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), revoked_at TEXT);
        CREATE TABLE IF NOT EXISTS requests (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id));
        """
    )
    digest = hashlib.sha256(os.environ["PEER_API_KEY"].encode()).hexdigest()
    con.execute("INSERT OR REPLACE INTO users VALUES ('usr_peer', 'active')")
    con.execute("INSERT OR REPLACE INTO api_keys VALUES (?, 'usr_peer', NULL)", (digest,))
    con.execute("INSERT OR REPLACE INTO requests VALUES (?, 'usr_peer')", (os.environ["PEER_REQUEST_ID"],))
    con.commit()
    con.close()


seed(os.environ["PEER_DB"])
db = sqlite3.connect(os.environ["PEER_DB"], check_same_thread=False)
cache = aioredis.Redis.from_url(os.environ["PEER_REDIS_URL"])
app = FastAPI()


@app.on_event("startup")
async def put_body() -> None:
    await cache.set(f"resp:{os.environ['PEER_REQUEST_ID']}", os.environ["PEER_BODY"])


@app.get("/v1/requests/{request_id}/response")
async def read_response(request_id: str, x_api_key: Optional[str] = Header(default=None)) -> Response:
    if not x_api_key or len(x_api_key) > 200:
        raise HTTPException(status_code=401, detail="unauthorized")
    digest = hashlib.sha256(x_api_key.encode()).hexdigest()
    row = db.execute(
        "SELECT k.user_id FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ? AND k.revoked_at IS NULL AND u.status = 'active'",
        (digest,),
    ).fetchone()
    if row is None:
        raise HTTPException(status_code=401, detail="unauthorized")
    owner = db.execute("SELECT user_id FROM requests WHERE id = ?", (request_id,)).fetchone()
    if owner is None or owner[0] != row[0]:
        raise HTTPException(status_code=404, detail="not found")
    counter = f"rl:{row[0]}:{int(time.time() // 60)}"
    async with cache.pipeline(transaction=False) as pipe:
        pipe.incr(counter)
        pipe.expire(counter, 120)
        pipe.get(f"resp:{request_id}")
        count, _, body = await pipe.execute()
    if count > LIMIT_PER_MINUTE:
        raise HTTPException(status_code=429, detail="rate limited")
    if body is None:
        raise HTTPException(status_code=404, detail="no response")
    return Response(content=body, media_type="application/json", headers={"Cache-Control": "private, no-cache"})
