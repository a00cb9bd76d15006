"""The reference for `train_mnist --model convnet --device cpu`: the book's MNIST convnet
trained with Keras on TensorFlow-CPU, on the same machine, printing seconds per epoch.

    pip install tensorflow-cpu numpy
    python3 benches/baselines/keras_convnet.py [MNIST_DIR] [EPOCHS] [LIMIT]

MNIST_DIR defaults to $MNIST_DIR, else ../shared/mnist; LIMIT trains on the first LIMIT images.
This script is not part of the crate.
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
LIMIT = int(sys.argv[3]) if len(sys.argv) > 3 else 60000


def idx(name):
    with gzip.open(os.path.join(MNIST, name), "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


train_images = idx("train-images-idx3-ubyte.gz")[:LIMIT].reshape((-1, 28, 28, 1)).astype("float32") / 255
train_labels = idx("train-labels-idx1-ubyte.gz")[:LIMIT]
test_images = idx("t10k-images-idx3-ubyte.gz").reshape((10000, 28, 28, 1)).astype("float32") / 255
test_labels = idx("t10k-labels-idx1-ubyte.gz")

# Listing 8.1 of the book's second edition (its first convnet), with the same training setup.
inputs = keras.Input(shape=(28, 28, 1))
x = keras.layers.Conv2D(filters=32, kernel_size=3, activation="relu")(inputs)
x = keras.layers.MaxPooling2D(pool_size=2)(x)
x = keras.layers.Conv2D(filters=64, kernel_size=3, activation="relu")(x)
x = keras.layers.MaxPooling2D(pool_size=2)(x)
x = keras.layers.Conv2D(filters=128, kernel_size=3, activation="relu")(x)
x = keras.layers.Flatten()(x)
outputs = keras.layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        secs = time.perf_counter() - self.start
        n = len(train_images)
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {logs['loss']:.4f}, accuracy {logs['accuracy']:.4f}, "
              f"{secs:.1f} s, {n / secs:.0f} samples/s", flush=True)


print(f"tensorflow {tf.__version__}, threads: intra {tf.config.threading.get_intra_op_parallelism_threads()}")
model.fit(train_images, train_labels, epochs=EPOCHS, batch_size=64, verbose=0, callbacks=[EpochTimer()])
loss, acc = model.evaluate(test_images, test_labels, verbose=0)
print(f"test accuracy: {acc:.4f}")
