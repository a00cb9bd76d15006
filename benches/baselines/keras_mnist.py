"""The reference for `train_mnist --device cpu`: the chapter's network trained with Keras on
TensorFlow-CPU, on the same machine, printing seconds per epoch.

    pip install tensorflow-cpu numpy
    python3 benches/baselines/keras_mnist.py [MNIST_DIR] [EPOCHS]

MNIST_DIR defaults to $MNIST_DIR, else ../shared/mnist. This script is not part of the crate.
"""
import gzip
import os
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402

MNIST = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MNIST_DIR", "../shared/mnist")
EPOCHS = int(sys.argv[2]) if len(sys.argv) > 2 else 5


def idx(name):
    with gzip.open(os.path.join(MNIST, name), "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


train_images = idx("train-images-idx3-ubyte.gz").reshape((60000, 28 * 28)).astype("float32") / 255
train_labels = idx("train-labels-idx1-ubyte.gz")
test_images = idx("t10k-images-idx3-ubyte.gz").reshape((10000, 28 * 28)).astype("float32") / 255
test_labels = idx("t10k-labels-idx1-ubyte.gz")

model = keras.Sequential([
    keras.layers.Dense(512, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        secs = time.perf_counter() - self.start
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {logs['loss']:.4f}, accuracy {logs['accuracy']:.4f}, "
              f"{secs:.1f} s, {60000 / secs:.0f} samples/s", flush=True)


print(f"tensorflow {tf.__version__}, threads: intra {tf.config.threading.get_intra_op_parallelism_threads()}")
model.fit(train_images, train_labels, epochs=EPOCHS, batch_size=128, verbose=0, callbacks=[EpochTimer()])
loss, acc = model.evaluate(test_images, test_labels, verbose=0)
print(f"test accuracy: {acc:.4f}")
