"""Payment provider adapters behind one interface (:mod:`.base`), one module each: Orange Money,
Moov Money, PI-SPI (modelled) and cash at the counter. Plain Python, no Django: the payments
app builds them from settings. See ``docs/payments/providers.md``."""
