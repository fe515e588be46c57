"""Spiders, one per public API: PokeAPI, YGOPRODeck, Scryfall."""
