"""The GAN: one ``keras.Model`` whose tricks are constructor arguments.

``train_step`` runs one *iteration* (one global batch) in the cross-replica context: the
schedule decides there, with ``tf.cond``, whether D and/or G update, and each update is a
``strategy.run`` of a replica step. Keras cannot put an optimizer update (a cross-replica
all-reduce) inside a ``tf.cond`` in the replica context, which is why the decision sits one
level up and ``make_train_function`` is overridden; ``fit``, callbacks and the progress bar
work as usual. Per-example losses are averaged over the *global* batch
(``tf.nn.compute_average_loss``) because gradients are summed across replicas.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from gans.core.labels import LabelPolicy
from gans.core.losses import get_loss
from gans.core.penalties import gradient_penalty, r1_penalty
from gans.core.schedule import ScheduleConfig, TrainSchedule

Augment = Callable[[tf.Tensor], tf.Tensor]


class GAN(keras.Model):
    """Generator + discriminator trained adversarially.

    Args:
      generator: noise ``[B, noise_dim]`` → images ``[B, H, W, C]`` in [-1, 1].
      discriminator: images → one logit per image.
      noise_dim: length of the noise vector.
      loss: a key of ``gans.core.losses.LOSSES``.
      label_policy: real/fake targets for losses that use labels.
      schedule: G:D ratio, monitored gate, boost windows.
      clip_value: WGAN weight clipping of D's weights to [-c, c] after each D update; 0 = off.
      gp_weight: WGAN-GP penalty weight; 0 = off.
      r1_weight: R1 penalty weight (Mescheder et al. 2018); 0 = off.
      augment: differentiable augmentation applied to reals and fakes whenever D sees them
        (DiffAugment / ADA); ``None`` = off. If it has ``update(real_logits)``, that is called
        with the real logits after each D step (ADA's adaptive probability).
      ema_decay: keep an exponential moving average of G's weights and sample from it
        (Karras et al. 2018; Yazıcı et al. 2019); 0 = off.
      seed: seeds the in-graph random draws (labels, penalties, schedule).
      num_classes: > 0 for a class-conditional GAN: G takes ``[noise, label]``, D takes
        ``[image, label]``, and batches are ``(images, noise, labels)``; fakes get the
        real batch's labels.
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        noise_dim: int,
        loss: str = "gan",
        label_policy: LabelPolicy | None = None,
        schedule: ScheduleConfig | None = None,
        clip_value: float = 0.0,
        gp_weight: float = 0.0,
        r1_weight: float = 0.0,
        recon_weight: float = 0.0,
        step: str = "auto",
        augment: Augment | None = None,
        ema_decay: float = 0.0,
        seed: int = 0,
        num_classes: int = 0,
    ) -> None:
        super().__init__(name="gan")
        self.generator = generator
        self.discriminator = discriminator
        self.noise_dim = noise_dim
        self.loss_name = loss
        self.loss_pair = get_loss(loss)
        self.label_policy = label_policy or LabelPolicy()
        self.train_schedule = TrainSchedule(schedule or ScheduleConfig(), seed)
        self.clip_value = clip_value
        self.gp_weight = gp_weight
        self.r1_weight = r1_weight
        self.recon_weight = recon_weight
        self.step_mode = step
        self.augment = augment
        self.ema_decay = ema_decay
        self.num_classes = num_classes
        self.rng = tf.random.Generator.from_seed(seed)
        self.ema_generator = None
        if ema_decay > 0:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.d_acc_real_tracker = keras.metrics.Mean(name="d_acc_real")
        self.d_acc_fake_tracker = keras.metrics.Mean(name="d_acc_fake")
        self.d_grad_norm_tracker = keras.metrics.Mean(name="d_grad_norm")
        self.g_grad_norm_tracker = keras.metrics.Mean(name="g_grad_norm")
        self.g_optimizer: keras.optimizers.Optimizer | None = None
        self.d_optimizer: keras.optimizers.Optimizer | None = None
        self.loss_scaled = False
        self.built = True

    # --- Keras plumbing ---------------------------------------------------------------------
    def compile(
        self,
        g_optimizer: keras.optimizers.Optimizer,
        d_optimizer: keras.optimizers.Optimizer,
        **kwargs,
    ) -> None:
        """Set both optimizers and build them now (under the strategy scope, before restore)."""
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        g_optimizer.build(self.generator.trainable_variables)
        d_optimizer.build(self.discriminator.trainable_variables)
        self.loss_scaled = isinstance(d_optimizer, keras.optimizers.LossScaleOptimizer)

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [
            self.d_loss_tracker,
            self.g_loss_tracker,
            self.d_real_tracker,
            self.d_fake_tracker,
            self.d_acc_real_tracker,
            self.d_acc_fake_tracker,
            self.d_grad_norm_tracker,
            self.g_grad_norm_tracker,
        ]

    def call(self, images: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Discriminator logits, so Keras can build and call the model on a batch."""
        labels = tf.zeros(tf.shape(images)[:1], tf.int32) if self.num_classes else None
        return self._d(images, labels, training)

    def _g(self, noise, labels, training: bool, model: keras.Model | None = None):
        model = model or self.generator
        return model([noise, labels] if self.num_classes else noise, training=training)

    def _d(self, images, labels, training: bool):
        inputs = [images, labels] if self.num_classes else images
        return self.discriminator(inputs, training=training)

    def default_labels(self, count) -> tf.Tensor:
        """Labels 0, 1, …, C-1, 0, 1, … for ``count`` samples (per-class grids)."""
        return tf.range(count, dtype=tf.int32) % max(self.num_classes, 1)

    @property
    def sampler(self) -> keras.Model:
        """The generator to sample from: the EMA copy when there is one."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def generate(self, noise: tf.Tensor, labels: tf.Tensor | None = None) -> tf.Tensor:
        """Images in [-1, 1] from noise (and class labels, cycling through the classes
        when not given), with the sampling generator in inference mode."""
        if self.num_classes and labels is None:
            labels = self.default_labels(tf.shape(noise)[0])
        return self._g(noise, labels, training=False, model=self.sampler)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None) -> None:
        """Skip Keras's symbolic build: the networks are built at construction and the
        optimizers in ``compile``; Keras's version eagerly reduces a distributed batch,
        which fails under MultiWorkerMirroredStrategy (Keras 3.15)."""

    def make_train_function(self, force: bool = False):
        """One scheduled iteration per call, traced once; see the module docstring."""
        if self.train_function is not None and not force:
            return self.train_function
        step = tf.function(
            self.train_step, reduce_retracing=True, jit_compile=self.jit_compile is True
        )

        def train_function(iterator):
            return step(next(iterator))

        self.train_function = train_function
        return train_function

    # --- one iteration (cross-replica context) ----------------------------------------------
    def train_step(self, data):
        """Schedule → D update (or D loss only) → G update(s) → EMA; returns the logs."""
        strategy = self.distribute_strategy
        images, noise, labels = data if self.num_classes else (*data, None)
        train_d, train_g, flip = self.train_schedule.decide()

        def d_update():
            out = strategy.run(self._d_step, args=(images, noise, labels, flip, True))
            self._clip_discriminator()
            return out

        def d_eval():
            return strategy.run(self._d_step, args=(images, noise, labels, flip, False))

        d_sum, count = tf.cond(train_d, d_update, d_eval)
        global_count = strategy.reduce("SUM", count, axis=None)
        d_loss = strategy.reduce("SUM", d_sum, axis=None) / global_count

        def g_update():
            total = tf.constant(0.0)
            for _ in range(self.train_schedule.config.g_steps):
                total += strategy.reduce(
                    "SUM", strategy.run(self._g_step, args=(noise, labels)), axis=None
                )
            self._update_ema()
            return total / (global_count * self.train_schedule.config.g_steps)

        g_loss = tf.cond(train_g, g_update, lambda: self.train_schedule.last_g_loss)
        self.train_schedule.observe(d_loss, g_loss)
        logs = {m.name: m.result() for m in self.metrics}
        logs["g_lr"] = tf.convert_to_tensor(self.g_optimizer.learning_rate)
        logs["d_lr"] = tf.convert_to_tensor(self.d_optimizer.learning_rate)
        if hasattr(self.augment, "probability"):
            logs["ada_p"] = tf.convert_to_tensor(self.augment.probability)
        return logs

    # --- replica steps ----------------------------------------------------------------------
    def _global_batch(self, images: tf.Tensor) -> tf.Tensor:
        replicas = tf.distribute.get_replica_context().num_replicas_in_sync
        return tf.shape(images)[0] * replicas

    def _augment(self, images: tf.Tensor) -> tf.Tensor:
        return images if self.augment is None else self.augment(images)

    def _d_step(self, images, noise, labels, flip, apply: bool):
        """D loss on a replica's batch; with ``apply`` also the D update. Returns (sum, n)."""
        batch = tf.shape(images)[0]
        images = tf.cast(images, tf.float32)
        real_t, fake_t = None, None
        if self.loss_pair.uses_labels:
            real_t, fake_t = self.label_policy.targets(batch, self.rng)
            real_t, fake_t = tf.where(flip, fake_t, real_t), tf.where(flip, real_t, fake_t)
        d_vars = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            fakes = self._g(noise, labels, training=True)
            real_in, fake_in = self._augment(images), self._augment(fakes)
            real_logits = self._d(real_in, labels, training=True)
            fake_logits = self._d(fake_in, labels, training=True)
            per_example = self.loss_pair.discriminator(real_logits, fake_logits, real_t, fake_t)
            per_example += self._penalties(real_in, fake_in, labels, batch)
            loss = tf.nn.compute_average_loss(
                per_example, global_batch_size=self._global_batch(images)
            )
            # Inside the tape, or the float16 loss scale is not differentiated through.
            scaled_loss = self.d_optimizer.scale_loss(loss)
        if apply:
            grads = tape.gradient(scaled_loss, d_vars)
            self.d_optimizer.apply_gradients(zip(grads, d_vars, strict=True))
            self._track(self.d_grad_norm_tracker, _unscaled_norm(self.d_optimizer, grads))
            if hasattr(self.augment, "update"):
                self.augment.update(real_logits)
        real_logits = tf.cast(real_logits, tf.float32)
        fake_logits = tf.cast(fake_logits, tf.float32)
        self._track(self.d_loss_tracker, per_example)
        self._track(self.d_real_tracker, real_logits)
        self._track(self.d_fake_tracker, fake_logits)
        self._track(self.d_acc_real_tracker, tf.cast(real_logits > 0, tf.float32))
        self._track(self.d_acc_fake_tracker, tf.cast(fake_logits < 0, tf.float32))
        return self._finite_sum(per_example), tf.cast(batch, tf.float32)

    def _penalties(self, real_in, fake_in, labels, batch: tf.Tensor) -> tf.Tensor:
        total = tf.zeros([batch])
        critic = lambda x: self._d(x, labels, training=True)  # noqa: E731
        if self.gp_weight > 0:
            eps = self.rng.uniform(tf.reshape(batch, [1]))
            total += self.gp_weight * gradient_penalty(critic, real_in, fake_in, eps)
        if self.r1_weight > 0:
            total += self.r1_weight * r1_penalty(critic, real_in)
        return total

    def _g_step(self, noise, labels):
        """One G update on a replica's noise; returns the replica's loss sum."""
        g_vars = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fakes = self._g(noise, labels, training=True)
            logits = self._d(self._augment(fakes), labels, training=True)
            per_example = self.loss_pair.generator(logits)
            loss = tf.nn.compute_average_loss(
                per_example, global_batch_size=self._global_batch(noise)
            )
            scaled_loss = self.g_optimizer.scale_loss(loss)
        grads = tape.gradient(scaled_loss, g_vars)
        self.g_optimizer.apply_gradients(zip(grads, g_vars, strict=True))
        self._track(self.g_loss_tracker, per_example)
        self._track(self.g_grad_norm_tracker, _unscaled_norm(self.g_optimizer, grads))
        return self._finite_sum(per_example)

    # --- float16 overflow steps (skipped by the loss-scale optimizer) -----------------------
    def _finite_sum(self, values: tf.Tensor) -> tf.Tensor:
        if self.loss_scaled:
            values = tf.where(tf.math.is_finite(values), values, tf.zeros_like(values))
        return tf.reduce_sum(values)

    def _track(self, tracker: keras.metrics.Mean, values: tf.Tensor) -> None:
        """Update a log average. Under float16 loss scaling an overflowing step is skipped
        by the optimizer (its loss is Inf/NaN, the weights are untouched), so it is left out
        of the averages too; without loss scaling a NaN must reach the divergence guard."""
        values = tf.cast(values, tf.float32)
        if not self.loss_scaled:
            tracker.update_state(values)
            return
        finite = tf.math.is_finite(values)
        kept = tf.where(finite, values, tf.zeros_like(values))
        tracker.update_state(kept, sample_weight=tf.cast(finite, tf.float32))

    # --- cross-replica weight updates -------------------------------------------------------
    def _clip_discriminator(self) -> None:
        """WGAN weight clipping (Arjovsky et al. 2017, Alg. 1 line 7)."""
        if self.clip_value > 0:
            for var in self.discriminator.trainable_variables:
                var.assign(tf.clip_by_value(var, -self.clip_value, self.clip_value))

    def _update_ema(self) -> None:
        """``ema ← d·ema + (1 - d)·w`` for trainable weights; others copied.

        ``d = min(decay, (1 + n) / (10 + n))`` after n G updates (the warm-up of
        ``tf.train.ExponentialMovingAverage``): without it a 0.999 average still holds
        mostly the random initial weights after a few hundred steps.
        """
        if self.ema_generator is None:
            return
        n = tf.cast(self.g_optimizer.iterations, tf.float32)
        decay = tf.minimum(self.ema_decay, (1.0 + n) / (10.0 + n))
        for ema_var, var in zip(self.ema_generator.weights, self.generator.weights, strict=True):
            if var.trainable:
                ema_var.assign(decay * ema_var + (1.0 - decay) * var)
            else:
                ema_var.assign(var)


def _unscaled_norm(optimizer: keras.optimizers.Optimizer, grads: list) -> tf.Tensor:
    """Global gradient norm as the update sees it: a float16 loss scale divided out."""
    norm = tf.linalg.global_norm(grads)
    scale = getattr(optimizer, "dynamic_scale", None)
    return norm if scale is None else norm / tf.cast(scale, norm.dtype)
