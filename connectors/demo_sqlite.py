"""The demo CRM/billing/orders backend: a SQLite database seeded from a JSON file.

It behaves like a company's real systems would for Frontline: it answers only for the
customer id it is given, and its data lives apart from Frontline's own store.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from app.core import clock as clocks
from app.core.errors import ConfigError, ConnectorError
from connectors.base import Customer, Invoice, Order, OrderItem, Receipt, Subscription
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
CREATE TABLE IF NOT EXISTS refund_requests (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, order_id TEXT, invoice_id TEXT,
    amount REAL NOT NULL, currency TEXT NOT NULL, reason TEXT NOT NULL, status TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY, to_email TEXT NOT NULL, template TEXT NOT NULL, payload TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY, customer_id TEXT, email TEXT, subject TEXT NOT NULL, body TEXT NOT NULL,
    priority TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS write_requests (
    idempotency_key TEXT PRIMARY KEY, action TEXT NOT NULL, reference TEXT NOT NULL,
    status TEXT NOT NULL, reason TEXT NOT NULL, created_at TEXT NOT NULL);
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
                 items=items, shipping_address=row["shipping_address"])


Write = Callable[[aiosqlite.Connection], Awaitable[tuple[str, str, str]]]


class DemoSqliteConnector:
    def __init__(self, conn: aiosqlite.Connection, clock: clocks.Clock = clocks.now) -> None:
        self._conn = conn
        self._clock = clock
        self._writes = asyncio.Lock()  # one write transaction at a time on the shared connection

    @classmethod
    async def open(cls, database: Path, seed: Path | None, clock: clocks.Clock = clocks.now) -> DemoSqliteConnector:
        database.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(database)
        conn.row_factory = aiosqlite.Row
        try:
            await conn.executescript(_SCHEMA)
            (count,) = await (await conn.execute("SELECT count(*) FROM customers")).fetchone()  # type: ignore[misc]
            if count == 0 and seed is not None:
                await _seed(conn, seed, clock().date())
        except BaseException:
            await conn.close()
            raise
        return cls(conn, clock)

    async def close(self) -> None:
        await self._conn.close()

    def _now(self) -> str:
        return self._clock().isoformat(timespec="seconds")

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

    async def invoices(self, customer_id: str) -> list[Invoice]:
        rows = await self._fetch(
            "SELECT * FROM invoices WHERE customer_id = ? ORDER BY issued_at DESC, id DESC", (customer_id,))
        return [Invoice(r["id"], r["customer_id"], r["amount"], r["currency"], r["status"], r["issued_at"],
                        r["due_at"], r["description"] or "") for r in rows]

    async def subscriptions(self, customer_id: str) -> list[Subscription]:
        rows = await self._fetch(
            "SELECT * FROM subscriptions WHERE customer_id = ? ORDER BY started_at DESC", (customer_id,))
        return [Subscription(r["id"], r["customer_id"], r["plan"], r["status"], r["billing_period"],
                             r["started_at"], r["renews_at"]) for r in rows]

    # Writes. Each runs once per idempotency key, in one transaction with its record.

    async def cancel_order(self, customer_id: str, order_id: str, *, idempotency_key: str) -> Receipt:
        async def write(tx: aiosqlite.Connection) -> tuple[str, str, str]:
            cursor = await tx.execute(
                "UPDATE orders SET status = 'cancelled' WHERE customer_id = ? AND upper(id) = upper(?)"
                " AND status = 'processing'", (customer_id, order_id))
            return (order_id, "done", "") if cursor.rowcount else (order_id, "rejected", "not_cancellable")
        return await self._once(idempotency_key, "cancel_order", write)

    async def change_shipping_address(self, customer_id: str, order_id: str, address: str, *,
                                      idempotency_key: str) -> Receipt:
        async def write(tx: aiosqlite.Connection) -> tuple[str, str, str]:
            cursor = await tx.execute(
                "UPDATE orders SET shipping_address = ? WHERE customer_id = ? AND upper(id) = upper(?)"
                " AND status = 'processing'", (address, customer_id, order_id))
            return (order_id, "done", "") if cursor.rowcount else (order_id, "rejected", "not_changeable")
        return await self._once(idempotency_key, "change_shipping_address", write)

    async def send_invoice_copy(self, customer_id: str, invoice_id: str, *, idempotency_key: str) -> Receipt:
        async def write(tx: aiosqlite.Connection) -> tuple[str, str, str]:
            row = await (await tx.execute(
                "SELECT c.email FROM invoices i JOIN customers c ON c.id = i.customer_id"
                " WHERE i.customer_id = ? AND upper(i.id) = upper(?)", (customer_id, invoice_id))).fetchone()
            if row is None:
                return invoice_id, "rejected", "unknown_invoice"
            await self._email(tx, row["email"], "invoice_copy", {"invoice_id": invoice_id})
            return invoice_id, "done", ""
        return await self._once(idempotency_key, "send_invoice_copy", write)

    async def request_refund(self, customer_id: str, *, order_id: str | None, invoice_id: str | None,
                             amount: float, reason: str, idempotency_key: str) -> Receipt:
        async def write(tx: aiosqlite.Connection) -> tuple[str, str, str]:
            table, ref = ("orders", order_id) if order_id else ("invoices", invoice_id)
            column = "total" if table == "orders" else "amount"
            row = await (await tx.execute(
                f"SELECT {column} AS charged, currency FROM {table} WHERE customer_id = ? AND upper(id) = upper(?)",
                (customer_id, ref or ""))).fetchone()
            if row is None:
                return ref or "", "rejected", "unknown_charge"
            if not 0 < amount <= row["charged"]:
                return ref or "", "rejected", "amount_exceeds_charge"
            (count,) = await (await tx.execute("SELECT count(*) FROM refund_requests")).fetchone()  # type: ignore[misc]
            reference = f"RF-{5001 + count}"
            await tx.execute(
                "INSERT INTO refund_requests VALUES (?, ?, ?, ?, ?, ?, ?, 'submitted', ?)",
                (reference, customer_id, order_id, invoice_id, amount, row["currency"], reason[:500], self._now()))
            return reference, "submitted", ""
        return await self._once(idempotency_key, "request_refund", write)

    async def cancel_subscription(self, customer_id: str, subscription_id: str, *,
                                  idempotency_key: str) -> Receipt:
        async def write(tx: aiosqlite.Connection) -> tuple[str, str, str]:
            cursor = await tx.execute(
                "UPDATE subscriptions SET status = 'cancels_at_period_end' WHERE customer_id = ? AND id = ?"
                " AND status IN ('active', 'past_due') AND plan != 'business'", (customer_id, subscription_id))
            return (subscription_id, "done", "") if cursor.rowcount else (subscription_id, "rejected",
                                                                            "not_cancellable")
        return await self._once(idempotency_key, "cancel_subscription", write)

    async def send_password_reset(self, email: str, *, idempotency_key: str) -> Receipt:
        async def write(tx: aiosqlite.Connection) -> tuple[str, str, str]:
            row = await (await tx.execute(
                "SELECT id FROM customers WHERE lower(email) = lower(?)", (email,))).fetchone()
            if row is not None:
                await self._email(tx, email, "password_reset", {"customer_id": row["id"]})
            return "reset", "done", ""  # the same answer either way (see AccountSystem)
        return await self._once(idempotency_key, "send_password_reset", write)

    async def create_ticket(self, *, customer_id: str | None, email: str | None, subject: str, body: str,
                            priority: str, idempotency_key: str) -> Receipt:
        async def write(tx: aiosqlite.Connection) -> tuple[str, str, str]:
            if priority not in ("low", "normal", "high", "urgent"):
                return "", "rejected", "unknown_priority"
            if customer_id is None and not email:
                return "", "rejected", "no_contact"
            (count,) = await (await tx.execute("SELECT count(*) FROM tickets")).fetchone()  # type: ignore[misc]
            reference = f"TK-{7001 + count}"
            await tx.execute("INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, 'open', ?)",
                             (reference, customer_id, email, subject[:200], body[:20_000], priority, self._now()))
            return reference, "done", ""
        return await self._once(idempotency_key, "create_ticket", write)

    async def tickets(self) -> list[dict[str, Any]]:
        """Tickets opened in the demo helpdesk, oldest first."""
        rows = await self._fetch("SELECT * FROM tickets ORDER BY created_at, id", ())
        return [dict(r) for r in rows]

    async def _email(self, tx: aiosqlite.Connection, to: str, template: str, payload: dict[str, Any]) -> None:
        await tx.execute("INSERT INTO outbox (to_email, template, payload, created_at) VALUES (?, ?, ?, ?)",
                         (to, template, json.dumps(payload), self._now()))

    async def sent_emails(self) -> list[dict[str, Any]]:
        """What the demo system has emailed (the demo has no mail server; the console shows these)."""
        rows = await self._fetch("SELECT to_email, template, payload, created_at FROM outbox ORDER BY id", ())
        return [dict(r) for r in rows]

    async def write_result(self, idempotency_key: str) -> Receipt | None:
        """What became of a write (see WriteLookup): its first receipt, or None if it never ran."""
        rows = await self._fetch("SELECT reference, status, reason FROM write_requests WHERE idempotency_key = ?",
                                 (idempotency_key,))
        return Receipt(rows[0]["reference"], rows[0]["status"], rows[0]["reason"], replayed=True) if rows else None

    async def _once(self, key: str, action: str, write: Write) -> Receipt:
        async with self._writes:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                row = await (await self._conn.execute(
                    "SELECT action, reference, status, reason FROM write_requests WHERE idempotency_key = ?",
                    (key,))).fetchone()
                if row is not None:
                    await self._conn.rollback()
                    if row["action"] != action:
                        raise ConnectorError(f"idempotency key reused for a different action ({row['action']})")
                    return Receipt(row["reference"], row["status"], row["reason"], replayed=True)
                reference, status, reason = await write(self._conn)
                await self._conn.execute(
                    "INSERT INTO write_requests VALUES (?, ?, ?, ?, ?, ?)",
                    (key, action, reference, status, reason, self._now()))
                await self._conn.commit()
            except sqlite3.Error as exc:
                await self._conn.rollback()
                raise ConnectorError(f"The demo business system failed: {exc}") from exc
            return Receipt(reference, status, reason)


def seeded_value(value: Any, day: date) -> Any:
    """A seed value as stored: `{"days_ago": N}` / `{"days_ahead": N}` (with `"at": "HH:MM:SS"` for
    a timestamp) become dates around `day`, so the demo's refund windows, deliveries and
    renewals look the same whatever day it is seeded."""
    if not isinstance(value, dict) or not ({"days_ago", "days_ahead"} & value.keys()):
        return value
    if not set(value) <= {"days_ago", "days_ahead", "at"} or len({"days_ago", "days_ahead"} & value.keys()) != 1:
        raise TypeError(f"a relative date takes days_ago or days_ahead (and at): {value}")
    offset = int(value.get("days_ahead", 0)) - int(value.get("days_ago", 0))
    moment = day + timedelta(days=offset)
    if "at" not in value:
        return moment.isoformat()
    at = datetime.strptime(str(value["at"]).removesuffix("Z"), "%H:%M:%S").time()
    return datetime.combine(moment, at).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _seed(conn: aiosqlite.Connection, seed: Path, day: date) -> None:
    try:
        data = json.loads(await asyncio.to_thread(seed.read_text, encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The demo connector seed {seed} is not readable JSON: {exc}") from None
    try:
        await conn.execute("BEGIN")
        for table, columns in _COLUMNS.items():
            for record in data.get(table, []):
                values = [json.dumps(record[c]) if c == "items" else seeded_value(record.get(c), day)
                          for c in columns]
                await conn.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                    values)
        await conn.commit()
    except (KeyError, TypeError, ValueError, sqlite3.Error) as exc:
        await conn.rollback()
        raise ConfigError(f"The demo connector seed {seed} does not match the schema: {exc}") from None


@register("demo_sqlite")
async def open_demo_sqlite(options: dict[str, Any], context: ConnectorContext) -> DemoSqliteConnector:
    seed = options.get("seed")
    seed_path = (context.tenant_root / seed) if seed else None
    database = Path(options.get("database") or context.data_dir / f"demo-crm-{context.tenant}.sqlite3")
    return await DemoSqliteConnector.open(database, seed_path, context.clock)
