"""Scrapy project that downloads raw GAN training images from public JSON APIs."""
