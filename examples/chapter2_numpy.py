"""The cells of examples/chapter2.rs computed with NumPy, printed in the same form, so the two
outputs can be compared line for line (the Rust example's `//` lines are code and
machine-dependent figures, and are left out of the comparison):

    diff <(cargo run --release --example chapter2 | grep -v '^//') \
         <(python3 examples/chapter2_numpy.py [MNIST_DIR])

Needs only NumPy; MNIST_DIR defaults to $MNIST_DIR, else ../shared/mnist.
"""
import gzip
import os
import sys

import numpy as np

MNIST = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MNIST_DIR", "../shared/mnist")


def title(t):
    print(f"\n## {t}")


def show(name, value):
    value = str(value)
    if value.startswith("["):
        print(f"{name} =\n{value}")
    else:
        print(f"{name} = {value}")


def shape(s):
    return str(tuple(s))


def f32(a):
    return np.array(a, dtype=np.float32)


def pattern(s, a, m):
    n = int(np.prod(s))
    i = np.arange(n, dtype=np.int64)
    return ((i * a) % m - m // 2).astype(np.float32).reshape(s)


def idx(name):
    with gzip.open(os.path.join(MNIST, name), "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


title("2.2.1 Scalars (rank-0 tensors)")
x = np.float32(12.0)
show("x", x)
show("x.ndim", np.ndim(x))

title("2.2.2 Vectors (rank-1 tensors)")
x = f32([12, 3, 6, 14, 7])
show("x", x)
show("x.ndim", x.ndim)

title("2.2.3 Matrices (rank-2 tensors)")
rows = [[5, 78, 2, 34, 0], [6, 79, 3, 35, 1], [7, 80, 4, 36, 2]]
x = f32(rows)
show("x", x)
show("x.ndim", x.ndim)

title("2.2.4 Rank-3 and higher-rank tensors")
x = f32([rows, rows, rows])
show("x", x)
show("x.ndim", x.ndim)
x = np.arange(12, dtype=np.float32).reshape(2, 1, 3, 1, 2)
show("x", x)
show("x.ndim", x.ndim)
show("x.dtype", x.dtype)

title("2.2.5 Key attributes")
train_images = idx("train-images-idx3-ubyte.gz")
train_labels = idx("train-labels-idx1-ubyte.gz")
show("train_images.ndim", train_images.ndim)
show("train_images.shape", shape(train_images.shape))
show("train_images.dtype", train_images.dtype)
show("train_labels[4]", train_labels[4])
train_images = train_images.astype("float32")
show("train_images.dtype", train_images.dtype)
show("train_images[4, ::4, ::4]", train_images[4, ::4, ::4])

title("2.2.6 Manipulating tensors in NumPy")
my_slice = train_images[10:100]
show("my_slice.shape", shape(my_slice.shape))
show("train_images[10:100, :, :].shape", shape(train_images[10:100, :, :].shape))
show("train_images[10:100, 0:28, 0:28].shape", shape(train_images[10:100, 0:28, 0:28].shape))
my_slice = train_images[:, 14:, 14:]
show("my_slice.shape", shape(my_slice.shape))
my_slice = train_images[:, 7:-7, 7:-7]
show("my_slice.shape", shape(my_slice.shape))
show("my_slice[4, 2:8, 2:8]", my_slice[4, 2:8, 2:8])

title("2.2.7 The notion of data batches")
show("batch.shape", shape(train_images[:128].shape))
show("train_images[128:256].shape", shape(train_images[128:256].shape))
n = 3
batch = train_images[128 * n: 128 * (n + 1)]
show("batch.shape", shape(batch.shape))
show("batch[0, 14, 8:16]", batch[0, 14, 8:16])
show("train_images[128 * 468:128 * 469].shape", shape(train_images[128 * 468: 128 * 469].shape))

title("2.3.1 Element-wise operations")
x = f32([[1, -2, 3], [-4, 5, -6]])
y = f32([[0.5, 0.25, -1], [2, -0.5, 6]])
show("x", x)
show("y", y)
show("np.maximum(x, 0.)", np.maximum(x, 0.0))
show("x + y", x + y)
show("naive_relu(naive_add(x, y))", np.maximum(x + y, 0.0))

title("2.3.2 Broadcasting")
X = pattern((32, 10), 7, 13)
y = pattern((10,), 5, 11)
show("(X + y).shape", shape((X + y).shape))
show("(X + y)[:2]", (X + y)[:2])
show("y.shape", shape(np.expand_dims(y, axis=0).shape))
x = pattern((64, 3, 32, 10), 7, 13)
y = pattern((32, 10), 5, 11)
z = np.maximum(x, y)
show("z.shape", shape(z.shape))
show("z[0, 0, :2]", z[0, 0, :2])
show("z.sum()", z.sum())

title("2.3.3 Tensor product")
x = pattern((32,), 1, 5)
y = pattern((32,), 2, 7)
z = np.dot(x, y)
show("z.shape", shape(np.shape(z)))
show("z", z)
x = pattern((3, 4), 3, 7)
y = pattern((4,), 1, 5)
show("x", x)
show("y", y)
show("np.dot(x, y)", np.dot(x, y))
w = pattern((4, 2), 5, 9)
show("w", w)
show("np.dot(x, w)", np.dot(x, w))
x = pattern((2, 3, 4, 5), 3, 11)
y = pattern((5, 6), 2, 7)
z = np.dot(x, y)
show("np.dot(x, y).shape", shape(z.shape))
show("np.dot(x, y)[1, 2]", z[1, 2])

title("2.3.4 Tensor reshaping")
x = f32([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
show("x.shape", shape(x.shape))
show("x.reshape((6, 1))", x.reshape((6, 1)))
show("x.reshape((2, 3))", x.reshape((2, 3)))
x = np.zeros((300, 20), dtype=np.float32)
show("np.transpose(x).shape", shape(np.transpose(x).shape))
show("np.array([[0., 1.], [2., 3.], [4., 5.]]).T", f32([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]).T)

title("2.3.5 Geometric interpretation of tensor operations")
A = f32([0.5, 1.0])
B = f32([1.0, 0.25])
show("A + B", A + B)
t = 30 * np.pi / 180
R = f32([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
show("R", R)
show("np.dot(R, A)", np.dot(R, A))
show("np.dot(R, A) + B", np.dot(R, A) + B)
show("np.dot(R, A + B)", np.dot(R, A + B))
S = f32([[2.0, 0.0], [0.0, 0.5]])
show("np.dot(S, R)", np.dot(S, R))
show("np.dot(R, S)", np.dot(R, S))

title("2.4.4 The gradient tape in TensorFlow")
# d(2x + 3)/dx, and d(x.W + b)/dW = x^T . ones, d/db = ones summed over the rows
show("grad_of_y_wrt_x", np.float32(2.0))
show("grad_of_y_wrt_x", np.full((2, 2), 2.0, dtype=np.float32))
x = f32([[1, 2], [3, 4]])
show("grad_of_y_wrt_W", x.T @ np.ones((2, 2), dtype=np.float32))
show("grad_of_y_wrt_b", np.ones((2, 2), dtype=np.float32).sum(axis=0))

title("2.5 Looking back at our first example")
