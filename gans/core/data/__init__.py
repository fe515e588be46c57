"""Data: the dataset declaration, converting sources to TFRecords, the input pipeline.

``dataset_spec`` (what a dataset package declares), ``folder_converter``/``image_io``/
``tfds_source``/``tfrecord_writer`` (raw files → shards + manifest), ``provider`` and
``data_service`` (shards → batches), ``data_prep`` (a run's data: convert when
missing or stale, wait for the chief), ``contact_sheet``.
"""
