"""The GAN: one ``keras.Model`` whose tricks are constructor arguments.

Three train steps (``step``), all one *iteration* (one global batch) per call:

* ``alternating`` (the default when the schedule is one D and one G update): D updates on
  reals and ``G(z)``, then G updates against the *new* D, reusing the same ``G(z)`` forward
  (its tape stays open across the D update). The updates equal the classic two-pass step
  (Goodfellow et al. 2014, Alg. 1 with k = 1) with one generator forward less.
* ``simultaneous``: the TensorFlow DCGAN tutorial's step: one forward of G and D, both
  losses from the same logits, both updates at once (G's gradient sees the old D).
* ``scheduled``: the general step for d_steps/g_steps > 1, the monitored gate, boost and
  weight clipping. The schedule decides in the cross-replica context, with ``tf.cond``,
  whether D and/or G update, and each update is a ``strategy.run`` of a replica step.
  Keras cannot put an optimizer update (a cross-replica all-reduce) inside a ``tf.cond``
  in the replica context, which is why the decision sits one level up.

``make_train_function`` is overridden (``steps_per_execution`` iterations per traced call,
one by default, traced without AutoGraph); ``fit``, callbacks and the progress bar work as
usual. Per-example losses are averaged over the *global* batch
(``tf.nn.compute_average_loss``) because gradients are summed across replicas.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from gans.core.errors import ConfigError
from gans.core.model.augment import AdaptiveAugment
from gans.core.model.labels import LabelPolicy
from gans.core.model.losses import get_loss
from gans.core.model.penalties import gradient_penalty, r1_penalty
from gans.core.model.schedule import ScheduleConfig, TrainSchedule

Augment = Callable[[tf.Tensor], tf.Tensor]


class GAN(keras.Model):
    """Generator + discriminator trained adversarially.

    Args:
      generator: noise ``[B, noise_dim]`` → images ``[B, H, W, C]`` in [-1, 1].
      discriminator: images → one logit per image.
      noise_dim: length of the noise vector.
      loss: a key of ``gans.core.model.losses.LOSSES``.
      label_policy: real/fake targets for losses that use labels.
      schedule: G:D ratio, monitored gate, boost windows.
      clip_value: WGAN weight clipping of D's weights to [-c, c] after each D update; 0 = off.
      gp_weight: WGAN-GP penalty weight; 0 = off.
      r1_weight: R1 penalty weight (Mescheder et al. 2018); 0 = off.
      recon_weight: weight of the discriminator's self-supervised reconstruction loss on
        reals (FastGAN, Liu et al. 2021, §3.2); needs a discriminator with a
        ``reconstruct(images, quadrants, training)`` method; 0 = off.
      step: ``auto``, ``alternating``, ``simultaneous`` or ``scheduled`` (module docstring).
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

    autograph = False  # how the train step is traced (benchmarks/first_step_time.py)

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
        if recon_weight > 0 and not hasattr(discriminator, "reconstruct"):
            raise ConfigError(
                f"--recon_weight needs a discriminator with decoders (--network=fastgan); "
                f"{discriminator.name} has none"
            )
        self.step_kind = resolve_step(step, schedule or ScheduleConfig(), clip_value)
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
        self.d_recon_tracker = keras.metrics.Mean(name="d_recon") if recon_weight > 0 else None
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
            *([self.d_recon_tracker] if self.d_recon_tracker is not None else []),
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

    def training_state(self) -> dict[str, tf.Module | keras.Model | tf.Variable]:
        """What a checkpoint holds to resume this GAN exactly: both nets and optimizers,
        the schedule's state, the RNG, and the EMA generator and ADA's strength when used."""
        state = {
            "generator": self.generator,
            "discriminator": self.discriminator,
            "g_optimizer": self.g_optimizer,
            "d_optimizer": self.d_optimizer,
            "schedule": self.train_schedule,
            "rng": self.rng,
        }
        if self.ema_generator is not None:
            state["ema_generator"] = self.ema_generator
        if isinstance(self.augment, AdaptiveAugment):
            state["ada"] = self.augment
        return state

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
        """``steps_per_execution`` iterations per call (one by default), traced once; see
        the module docstring. Several run in one ``tf.while_loop``: the epoch's step count
        must be a multiple of it (``Trainer.fit`` rounds it down to a divisor), as the
        stream runs on into the next epoch."""
        if self.train_function is not None and not force:
            return self.train_function
        repeats = int(self.steps_per_execution)
        # No AutoGraph: the step's control flow is explicit (tf.cond, tf.while_loop), as in
        # Keras's own train functions; converting the flags defaults' FastGAN step cost 8 s
        # of a 22 s first call (benchmarks/first_step_time.py).
        options = dict(
            autograph=self.autograph, reduce_retracing=True, jit_compile=self.jit_compile is True
        )
        if repeats == 1:
            step = tf.function(self.train_step, **options)

            def train_function(iterator):
                return step(next(iterator))

        else:

            @tf.function(**options)
            def train_function(iterator):
                def more(i, logs):
                    return i + 1, self.train_step(next(iterator))

                first = self.train_step(next(iterator))
                return tf.while_loop(lambda i, _: i < repeats - 1, more, (0, first))[1]

        self.train_function = train_function
        return train_function

    # --- one iteration (cross-replica context) ----------------------------------------------
    def train_step(self, data):
        """One iteration of ``self.step_kind``; returns the logs."""
        if self.step_kind == "scheduled":
            return self._scheduled_iteration(data)
        strategy = self.distribute_strategy
        images, noise, labels = data if self.num_classes else (*data, None)
        d_sum, g_sum, count = strategy.run(self._fused_step, args=(images, noise, labels))
        global_count = strategy.reduce("SUM", count, axis=None)
        d_loss = strategy.reduce("SUM", d_sum, axis=None) / global_count
        g_loss = strategy.reduce("SUM", g_sum, axis=None) / global_count
        self._update_ema()
        self.train_schedule.observe(d_loss, g_loss)
        return self._logs()

    def _logs(self) -> dict:
        logs = {m.name: m.result() for m in self.metrics}
        logs["g_lr"] = tf.convert_to_tensor(self.g_optimizer.learning_rate)
        logs["d_lr"] = tf.convert_to_tensor(self.d_optimizer.learning_rate)
        if isinstance(self.augment, AdaptiveAugment):
            logs["ada_p"] = tf.convert_to_tensor(self.augment.probability)
        return logs

    def _scheduled_iteration(self, data):
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
        return self._logs()

    # --- replica steps ----------------------------------------------------------------------
    def _global_batch(self, images: tf.Tensor) -> tf.Tensor:
        replicas = tf.distribute.get_replica_context().num_replicas_in_sync
        return tf.shape(images)[0] * replicas

    def _augment(self, images: tf.Tensor) -> tf.Tensor:
        return images if self.augment is None else self.augment(images)

    def _targets(self, batch, flip=None):
        """Real/fake targets of the label policy (swapped where ``flip``)."""
        if not self.loss_pair.uses_labels:
            return None, None
        real_t, fake_t = self.label_policy.targets(batch, self.rng)
        if flip is None:
            return real_t, fake_t
        return tf.where(flip, fake_t, real_t), tf.where(flip, real_t, fake_t)

    def _d_loss_terms(self, images, fakes, labels, real_t, fake_t):
        """D's per-example loss on a replica's reals and fakes (augmented), with the
        penalties and the reconstruction term; returns it with both logits."""
        batch = tf.shape(images)[0]
        real_in, fake_in = self._augment(images), self._augment(fakes)
        recon = None
        if self.recon_weight > 0:
            quadrants = self.rng.uniform([batch], 0, 4, dtype=tf.int32)
            inputs = [real_in, labels] if self.num_classes else real_in
            real_logits, recon = self.discriminator.reconstruct(inputs, quadrants, training=True)
        else:
            real_logits = self._d(real_in, labels, training=True)
        fake_logits = self._d(fake_in, labels, training=True)
        per_example = self.loss_pair.discriminator(real_logits, fake_logits, real_t, fake_t)
        per_example += self._penalties(real_in, fake_in, labels, batch)
        if recon is not None:
            per_example += self.recon_weight * tf.cast(recon, per_example.dtype)
            self._track(self.d_recon_tracker, recon)
        return per_example, real_logits, fake_logits

    def _apply_d(self, tape, scaled_loss, real_logits) -> None:
        d_vars = self.discriminator.trainable_variables
        grads = tape.gradient(scaled_loss, d_vars)
        self.d_optimizer.apply_gradients(zip(grads, d_vars, strict=True))
        self._track(self.d_grad_norm_tracker, _unscaled_norm(self.d_optimizer, grads))
        if hasattr(self.augment, "update"):
            self.augment.update(real_logits)

    def _track_d(self, per_example, real_logits, fake_logits) -> None:
        real_logits = tf.cast(real_logits, tf.float32)
        fake_logits = tf.cast(fake_logits, tf.float32)
        self._track(self.d_loss_tracker, per_example)
        self._track(self.d_real_tracker, real_logits)
        self._track(self.d_fake_tracker, fake_logits)
        self._track(self.d_acc_real_tracker, tf.cast(real_logits > 0, tf.float32))
        self._track(self.d_acc_fake_tracker, tf.cast(fake_logits < 0, tf.float32))

    def _d_step(self, images, noise, labels, flip, apply: bool):
        """D loss on a replica's batch; with ``apply`` also the D update. Returns (sum, n)."""
        batch = tf.shape(images)[0]
        images = tf.cast(images, tf.float32)
        real_t, fake_t = self._targets(batch, flip)
        with tf.GradientTape() as tape:
            fakes = self._g(noise, labels, training=True)
            per_example, real_logits, fake_logits = self._d_loss_terms(
                images, fakes, labels, real_t, fake_t
            )
            loss = tf.nn.compute_average_loss(
                per_example, global_batch_size=self._global_batch(images)
            )
            # Inside the tape, or the float16 loss scale is not differentiated through.
            scaled_loss = self.d_optimizer.scale_loss(loss)
        if apply:
            self._apply_d(tape, scaled_loss, real_logits)
        self._track_d(per_example, real_logits, fake_logits)
        return self._finite_sum(per_example), tf.cast(batch, tf.float32)

    def _fused_step(self, images, noise, labels):
        """One D and one G update on a replica's batch from ONE generator forward.

        ``alternating``: the G tape stays open while D updates on ``stop_gradient(G(z))``;
        G's loss then uses the updated D on the same ``G(z)``. ``simultaneous``: both
        losses come from the same D logits (the TF DCGAN tutorial). Returns the replica's
        (D loss sum, G loss sum, batch size).
        """
        batch = tf.shape(images)[0]
        images = tf.cast(images, tf.float32)
        global_batch = self._global_batch(images)
        real_t, fake_t = self._targets(batch)
        simultaneous = self.step_kind == "simultaneous"
        g_vars = self.generator.trainable_variables
        d_vars = self.discriminator.trainable_variables
        with tf.GradientTape(watch_accessed_variables=False) as g_tape:
            g_tape.watch([v.value for v in g_vars])
            fakes = self._g(noise, labels, training=True)
            with tf.GradientTape(watch_accessed_variables=False) as d_tape:
                d_tape.watch([v.value for v in d_vars])
                per_example, real_logits, fake_logits = self._d_loss_terms(
                    images,
                    fakes if simultaneous else tf.stop_gradient(fakes),
                    labels,
                    real_t,
                    fake_t,
                )
                d_loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
                scaled_d_loss = self.d_optimizer.scale_loss(d_loss)
            if simultaneous:
                g_logits = fake_logits
            else:
                self._apply_d(d_tape, scaled_d_loss, real_logits)
                g_logits = self._d(self._augment(fakes), labels, training=True)
            g_per_example = self.loss_pair.generator(g_logits)
            g_loss = tf.nn.compute_average_loss(g_per_example, global_batch_size=global_batch)
            scaled_g_loss = self.g_optimizer.scale_loss(g_loss)
        if simultaneous:
            self._apply_d(d_tape, scaled_d_loss, real_logits)
        g_grads = g_tape.gradient(scaled_g_loss, g_vars)
        self.g_optimizer.apply_gradients(zip(g_grads, g_vars, strict=True))
        self._track_d(per_example, real_logits, fake_logits)
        self._track(self.g_loss_tracker, g_per_example)
        self._track(self.g_grad_norm_tracker, _unscaled_norm(self.g_optimizer, g_grads))
        return (
            self._finite_sum(per_example),
            self._finite_sum(g_per_example),
            tf.cast(batch, tf.float32),
        )

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


STEPS = ("auto", "alternating", "simultaneous", "scheduled")


def resolve_step(step: str, schedule: ScheduleConfig, clip_value: float = 0.0) -> str:
    """The train step to run: ``auto`` is ``alternating`` unless the schedule or weight
    clipping needs the general ``scheduled`` step; a fused step they need is refused."""
    if step not in STEPS:
        raise ConfigError(f"--step={step}: use one of {', '.join(STEPS)}")
    needs = [
        name
        for name, on in (
            ("--d_steps > 1", schedule.d_steps > 1),
            ("--g_steps > 1", schedule.g_steps > 1),
            ("--monitor_factor", schedule.monitor_factor > 0),
            ("--boost", schedule.boost),
            ("--clip_value", clip_value > 0),
        )
        if on
    ]
    if step == "auto":
        return "scheduled" if needs else "alternating"
    if step != "scheduled" and needs:
        raise ConfigError(f"--step={step} cannot run {', '.join(needs)}; use --step=scheduled")
    return step


def _unscaled_norm(optimizer: keras.optimizers.Optimizer, grads: list) -> tf.Tensor:
    """Global gradient norm as the update sees it: a float16 loss scale divided out."""
    norm = tf.linalg.global_norm(grads)
    scale = getattr(optimizer, "dynamic_scale", None)
    return norm if scale is None else norm / tf.cast(scale, norm.dtype)
