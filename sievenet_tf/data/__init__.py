"""Try-on datasets: reading, checking, converting and drawing them.

Read from the top:

* :mod:`.pipeline` — ``make_dataset`` / ``dataset_fn``: the ``tf.data`` pipeline
  of example dicts (keys in :mod:`sievenet_tf.keys`) from a dataset folder or
  a TFRecord folder; ``data_errors`` turns a bad file met inside it into a
  :class:`~.errors.DataError`.
* :mod:`.source` — what the trainer reads: the ``DataSource`` protocol,
  ``make_data_source`` (a dataset root, in memory or streamed) and
  ``ArrayDataSource``; both built on the resumable index stream of
  :mod:`.stream`.
* The readers, one per on-disk layout: :mod:`.layouts` (CP-VTON's VITON and
  VITON-HD folders, pairs files) with :mod:`.folder` (index a split, decode
  one example), and :mod:`.tfrecord` (the TFRecord format and its reader;
  :mod:`.tfrecord_writer` converts a folder).
* One file at a time: :mod:`.io` (images, masks, parses, resizing) and
  :mod:`.pose` (OpenPose JSON), shared by the readers, :mod:`.validate` and
  inference; :mod:`.errors` (``DataError``, skipping bad examples).
* :mod:`.synthetic` — the procedural dataset the demo and tests use.
* :mod:`.cli` — ``sievenet-data synth | validate | to-tfrecord | benchmark``
  (:mod:`.benchmark`, :mod:`.output`).

Label sets live in :mod:`sievenet_tf.labels`, the priors in
:mod:`sievenet_tf.layers.priors`. Nothing here imports the training package.
"""
