"""Money: decimal strings with a currency, never floats."""

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer


def decimal_to_str(value: Decimal) -> str:
    """Plain notation without trailing zeros: 275000000000, 2.5, 15."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


DecimalString = Annotated[Decimal, PlainSerializer(decimal_to_str, return_type=str)]


class Money(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {"amount": "275000000000", "currency": "JPY", "usd": "1800000000"}
        }
    )

    amount: DecimalString = Field(description="Decimal string in the currency's units.")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 code.")
    usd: DecimalString | None = Field(
        default=None, description="The US-dollar figure the source itself states, if any."
    )
