"""The one item every spider yields: an image to fetch plus what the manifest records."""

import scrapy


class ArtItem(scrapy.Item):
    """One image of one card / pokemon.

    ``file_urls``/``files`` are the fields FilesPipeline reads and fills; the rest goes to the
    manifest so every file can be traced back to its source and licence.
    """

    dataset = scrapy.Field()  # "pokemon", "yugioh", "magic"
    name = scrapy.Field()  # card / pokemon name as the API gives it (untrusted)
    source_id = scrapy.Field()  # the API's id for the record
    source_page = scrapy.Field()  # the API URL the record came from
    artist = scrapy.Field()  # credited artist where the API gives one (Scryfall)
    licence = scrapy.Field()  # short licence / terms note
    label = scrapy.Field()  # class for conditional GANs (type / frame / colour identity)
    file_urls = scrapy.Field()
    files = scrapy.Field()
