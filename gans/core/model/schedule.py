"""Training schedule: decides per iteration whether D and/or G update.

One iteration consumes one batch. Decisions are graph-mode tensors and all state lives in
``tf.Variable``s, so a checkpoint resumes the schedule exactly. Supported policies:

* **G:D ratio** — D updates every iteration and G every ``d_steps``-th (the WGAN critic
  loop, Arjovsky et al. 2017, Alg. 1); G updates ``g_steps`` times per iteration for the
  other direction.
* **Monitored** (original projects) — D updates only while ``D_loss > factor · G_loss``
  (factor 0.8 in the original); the losses are those of the previous iteration.
* **Boost** (original projects) — per iteration a uniform draw ``k`` picks: a
  ``boost_length``-iteration D-only boost when ``boost_d_low < k < boost_d_high``; a
  G-only boost when ``k < boost_g_high``; a noisy-label step (real/fake targets swapped)
  when ``k ≥ noisy_above``; otherwise a normal step.
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from gans.core.errors import ConfigError

NORMAL, BOOST_D, BOOST_G, NOISY = 0, 1, 2, 3


@dataclasses.dataclass(frozen=True)
class ScheduleConfig:
    """Schedule settings; the defaults give one D and one G update per iteration."""

    d_steps: int = 1
    g_steps: int = 1
    monitor_factor: float = 0.0
    boost: bool = False
    boost_d_low: float = 0.0001
    boost_d_high: float = 0.001
    boost_g_high: float = 0.0001
    noisy_above: float = 0.93
    boost_length: int = 100

    def __post_init__(self) -> None:
        if self.d_steps < 1 or self.g_steps < 1:
            raise ConfigError("d_steps and g_steps must be >= 1")
        if self.monitor_factor < 0:
            raise ConfigError("monitor_factor must be >= 0 (0 turns monitoring off)")


class TrainSchedule(tf.Module):
    """Stateful schedule; call ``decide()`` then ``observe()`` once per iteration."""

    def __init__(self, config: ScheduleConfig, seed: int = 0) -> None:
        super().__init__(name="train_schedule")
        self.config = config
        self.iteration = tf.Variable(0, dtype=tf.int64, trainable=False, name="iteration")
        self.boost_mode = tf.Variable(NORMAL, dtype=tf.int32, trainable=False, name="boost_mode")
        self.boost_left = tf.Variable(0, dtype=tf.int32, trainable=False, name="boost_left")
        # Large until the first observation so the monitored gate opens on step one.
        self.last_d_loss = tf.Variable(1e9, dtype=tf.float32, trainable=False, name="last_d")
        self.last_g_loss = tf.Variable(0.0, dtype=tf.float32, trainable=False, name="last_g")
        self.rng = tf.random.Generator.from_seed(seed + 7919)

    def decide(self) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """``(train_d, train_g, flip_labels)`` booleans for this iteration."""
        cfg = self.config
        train_d = tf.constant(True)
        if cfg.monitor_factor > 0:
            train_d = self.last_d_loss > cfg.monitor_factor * self.last_g_loss
        train_g = tf.equal(self.iteration % cfg.d_steps, cfg.d_steps - 1)
        flip = tf.constant(False)
        if cfg.boost:
            mode = self._boost_mode()
            train_d = tf.where(mode == BOOST_D, True, tf.where(mode == BOOST_G, False, train_d))
            train_g = tf.where(mode == BOOST_G, True, tf.where(mode == BOOST_D, False, train_g))
            flip = mode == NOISY
        return train_d, train_g, flip

    def _boost_mode(self) -> tf.Tensor:
        cfg = self.config
        k = self.rng.uniform([])
        drawn = tf.where(
            (k > cfg.boost_d_low) & (k < cfg.boost_d_high),
            BOOST_D,
            tf.where(k < cfg.boost_g_high, BOOST_G, tf.where(k >= cfg.noisy_above, NOISY, NORMAL)),
        )
        in_boost = self.boost_left > 0
        mode = tf.where(in_boost, self.boost_mode, drawn)
        starts = (~in_boost) & ((drawn == BOOST_D) | (drawn == BOOST_G))
        left = tf.where(in_boost, self.boost_left - 1, tf.where(starts, cfg.boost_length - 1, 0))
        self.boost_mode.assign(tf.where(left > 0, mode, NORMAL))
        self.boost_left.assign(left)
        return mode

    def observe(self, d_loss: tf.Tensor, g_loss: tf.Tensor) -> None:
        """Record this iteration's losses (global means) and advance the counter."""
        self.last_d_loss.assign(tf.cast(d_loss, tf.float32))
        self.last_g_loss.assign(tf.cast(g_loss, tf.float32))
        self.iteration.assign_add(1)
