"""A convolutional layer written with explicit Python loops.

conv2d_forward is the function to speed up. It must keep its signature and
return exactly the same values (up to floating-point rounding)."""
import numpy as np


def relu(x):
    return np.maximum(x, 0.0)


def conv2d_forward(x, w, b, stride=1, pad=1):
    """2-D convolution (cross-correlation) followed by ReLU.

    x: input, shape (N, C, H, W)
    w: filters, shape (F, C, KH, KW)
    b: bias, shape (F,)
    stride, pad: integer stride and zero padding on each side
    returns: array of shape (N, F, H_out, W_out) with
        H_out = (H + 2*pad - KH) // stride + 1, W_out likewise,
        out[n, f, i, j] = relu(sum(x_pad[n, :, i*stride:i*stride+KH, j*stride:j*stride+KW] * w[f]) + b[f])
    """
    n_batch, n_chan, height, width = x.shape
    n_filt, _, kh, kw = w.shape
    h_out = (height + 2 * pad - kh) // stride + 1
    w_out = (width + 2 * pad - kw) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((n_batch, n_filt, h_out, w_out), dtype=x.dtype)
    for n in range(n_batch):
        for f in range(n_filt):
            for i in range(h_out):
                for j in range(w_out):
                    top = i * stride
                    left = j * stride
                    window = x_pad[n, :, top:top + kh, left:left + kw]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return relu(out)
