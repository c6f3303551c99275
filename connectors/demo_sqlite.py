"""The demo CRM/billing/orders backend: a SQLite database seeded from a JSON file.

It behaves like a company's real systems would for Frontline: it answers only for the
customer id it is given, and its data lives apart from Frontline's own store.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite

from app.errors import ConfigError, ConnectorError
from connectors.base import Customer, Order, OrderItem
from connectors.registry import ConnectorContext, register

_SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, plan TEXT NOT NULL,
    annual_contract_value REAL NOT NULL, renewal_date TEXT, sla_tier TEXT NOT NULL,
    language TEXT, country TEXT);
CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(id), plan TEXT NOT NULL,
    status TEXT NOT NULL, billing_period TEXT, started_at TEXT, renews_at TEXT);
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(id), status TEXT NOT NULL,
    placed_at TEXT NOT NULL, carrier TEXT, tracking_number TEXT, estimated_delivery TEXT,
    delivered_at TEXT, shipping_address TEXT, items TEXT NOT NULL, total REAL NOT NULL,
    currency TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS invoices (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(id), amount REAL NOT NULL,
    currency TEXT NOT NULL, status TEXT NOT NULL, issued_at TEXT, due_at TEXT, description TEXT);
"""
_COLUMNS = {
    "customers": ["id", "name", "email", "plan", "annual_contract_value", "renewal_date",
                  "sla_tier", "language", "country"],
    "subscriptions": ["id", "customer_id", "plan", "status", "billing_period", "started_at",
                      "renews_at"],
    "orders": ["id", "customer_id", "status", "placed_at", "carrier", "tracking_number",
               "estimated_delivery", "delivered_at", "shipping_address", "items", "total",
               "currency"],
    "invoices": ["id", "customer_id", "amount", "currency", "status", "issued_at", "due_at",
                 "description"],
}


def _order(row: aiosqlite.Row) -> Order:
    items = tuple(
        OrderItem(str(i["sku"]), str(i["name"]), int(i["quantity"]), float(i["unit_price"]))
        for i in json.loads(row["items"]))
    return Order(id=row["id"], customer_id=row["customer_id"], status=row["status"],
                 placed_at=row["placed_at"], total=row["total"], currency=row["currency"],
                 carrier=row["carrier"], tracking_number=row["tracking_number"],
                 estimated_delivery=row["estimated_delivery"], delivered_at=row["delivered_at"],
                 items=items)


class DemoSqliteConnector:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    @classmethod
    async def open(cls, database: Path, seed: Path | None) -> DemoSqliteConnector:
        database.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(database)
        conn.row_factory = aiosqlite.Row
        try:
            await conn.executescript(_SCHEMA)
            (count,) = await (await conn.execute("SELECT count(*) FROM customers")).fetchone()  # type: ignore[misc]
            if count == 0 and seed is not None:
                await _seed(conn, seed)
        except BaseException:
            await conn.close()
            raise
        return cls(conn)

    async def close(self) -> None:
        await self._conn.close()

    async def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[aiosqlite.Row]:
        try:
            return list(await self._conn.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise ConnectorError(f"The demo order system failed: {exc}") from exc

    async def customer(self, customer_id: str) -> Customer | None:
        rows = await self._fetch("SELECT * FROM customers WHERE id = ?", (customer_id,))
        if not rows:
            return None
        r = rows[0]
        return Customer(r["id"], r["name"], r["email"], r["plan"], r["annual_contract_value"],
                        r["renewal_date"], r["sla_tier"], r["language"])

    async def orders(self, customer_id: str) -> list[Order]:
        rows = await self._fetch(
            "SELECT * FROM orders WHERE customer_id = ? ORDER BY placed_at DESC", (customer_id,))
        return [_order(r) for r in rows]

    async def order(self, customer_id: str, order_id: str) -> Order | None:
        rows = await self._fetch(
            "SELECT * FROM orders WHERE customer_id = ? AND upper(id) = upper(?)",
            (customer_id, order_id))
        return _order(rows[0]) if rows else None


async def _seed(conn: aiosqlite.Connection, seed: Path) -> None:
    try:
        data = json.loads(await asyncio.to_thread(seed.read_text, encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The demo connector seed {seed} is not readable JSON: {exc}") from None
    try:
        await conn.execute("BEGIN")
        for table, columns in _COLUMNS.items():
            for record in data.get(table, []):
                values = [json.dumps(record[c]) if c == "items" else record.get(c) for c in columns]
                await conn.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                    values)
        await conn.commit()
    except (KeyError, TypeError, sqlite3.Error) as exc:
        await conn.rollback()
        raise ConfigError(f"The demo connector seed {seed} does not match the schema: {exc}") from None


@register("demo_sqlite")
async def open_demo_sqlite(options: dict[str, Any], context: ConnectorContext) -> DemoSqliteConnector:
    seed = options.get("seed")
    seed_path = (context.tenant_root / seed) if seed else None
    database = Path(options.get("database") or context.data_dir / f"demo-crm-{context.tenant}.sqlite3")
    return await DemoSqliteConnector.open(database, seed_path)
