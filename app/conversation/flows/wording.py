"""How flows show money, orders, invoices and email addresses to a customer."""

from __future__ import annotations

from connectors.base import Invoice, Order

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(amount: float, currency: str, lang: str) -> str:
    """'$129.00' in English, '129,00 $' elsewhere (decimal comma, symbol after)."""
    symbol = _SYMBOLS.get(currency.upper(), currency.upper() + " ")
    if lang == "en":
        return f"{symbol}{amount:,.2f}"
    whole, cents = f"{amount:,.2f}".split(".")
    return f"{whole.replace(',', '.')},{cents} {symbol.strip()}"


def items(order: Order) -> str:
    return ", ".join(f"{i.quantity}× {i.name}" for i in order.items) or "—"


def order_label(order: Order, lang: str) -> str:
    return f"{order.id} — {items(order)} ({money(order.total, order.currency, lang)})"


def invoice_label(invoice: Invoice, lang: str) -> str:
    return f"{invoice.id} — {invoice.description} ({money(invoice.amount, invoice.currency, lang)})"


def masked_email(email: str) -> str:
    """'maya.thompson@example.com' -> 'm***@example.com': enough to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
