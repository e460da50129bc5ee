"""Signal maths: opportunity scoring net of costs, the volatility measure."""
