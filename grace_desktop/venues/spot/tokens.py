"""Which Solana mints the spot venue trades, and its markets: one "<TOKEN>/USDC" per configured token.

A token is given as a known symbol ("SOL"), as "SYMBOL=<mint>" or as a bare mint address. Decimals are
never assumed: they are read from the mint over RPC when the venue starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from solders.pubkey import Pubkey

# Native SOL trades as wrapped SOL's mint (the routers wrap and unwrap it).
SOL_MINT = "So11111111111111111111111111111111111111112"
USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
KNOWN = {
    "SOL": SOL_MINT,
    "USDC": USDC_MINT,
    "USDT": "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
    "JUP": "JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN",
    "BONK": "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263",
}
QUOTE = "USDC"


@dataclass(frozen=True, slots=True)
class Token:
    symbol: str
    mint: str

    @property
    def native(self) -> bool:
        """SOL: held as lamports in the wallet itself, not in a token account."""
        return self.mint == SOL_MINT


def parse_token(text: str) -> Token:
    text = text.strip()
    if "=" in text:
        symbol, _, mint = text.partition("=")
        symbol, mint = symbol.strip().upper(), mint.strip()
    elif text.upper() in KNOWN:
        symbol, mint = text.upper(), KNOWN[text.upper()]
    else:
        symbol, mint = text[:6].upper(), text
    try:
        Pubkey.from_string(mint)
    except ValueError:
        raise ValueError(f"token {text!r}: not a known symbol ({', '.join(KNOWN)}), SYMBOL=MINT or a mint address") from None
    if not symbol or "/" in symbol:
        raise ValueError(f"token {text!r}: the symbol must be non-empty and without '/'")
    return Token(symbol, mint)


def spot_tokens(tokens: Sequence[str], quote: str = QUOTE) -> tuple[Token, dict[str, Token]]:
    """The quote token and the base tokens by market name ("SOL/USDC")."""
    quote_token = parse_token(quote)
    bases: dict[str, Token] = {}
    for text in tokens or ("SOL",):
        token = parse_token(text)
        if token.mint == quote_token.mint:
            continue  # the quote token is the cash balance, not a market
        bases[f"{token.symbol}/{quote_token.symbol}"] = token
    if not bases:
        raise ValueError("spot tokens: configure at least one token other than the quote token")
    return quote_token, bases
