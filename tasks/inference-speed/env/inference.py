"""Greedy text generation with a small GPT-style transformer in numpy.

generate() is the function to speed up. It must keep its signature and return
exactly the same tokens."""
import numpy as np


def layer_norm(x, g, b, eps=1e-5):
    out = np.empty_like(x)
    for t in range(x.shape[0]):          # one position at a time
        mu = x[t].mean()
        var = ((x[t] - mu) ** 2).mean()
        out[t] = (x[t] - mu) / np.sqrt(var + eps) * g + b
    return out


def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def attention(h, W, layer, n_head):
    """Causal multi-head self-attention over all positions of h (T, D)."""
    T, D = h.shape
    hd = D // n_head
    q_all = h @ W["l%d.wq" % layer]
    k_all = h @ W["l%d.wk" % layer]
    v_all = h @ W["l%d.wv" % layer]
    out = np.zeros((T, D))
    for head in range(n_head):
        sl = slice(head * hd, (head + 1) * hd)
        q, k, v = q_all[:, sl], k_all[:, sl], v_all[:, sl]
        for t in range(T):               # each query position attends to 0..t
            scores = k[: t + 1] @ q[t] / np.sqrt(hd)
            scores = np.exp(scores - scores.max())
            probs = scores / scores.sum()
            out[t, sl] = probs @ v[: t + 1]
    return out @ W["l%d.wo" % layer]


def forward(W, tokens):
    """Logits (T, V) for every position of the token sequence."""
    n_layer, n_head = int(W["n_layer"]), int(W["n_head"])
    T = len(tokens)
    x = W["wte"][tokens] + W["wpe"][:T]
    for layer in range(n_layer):
        h = layer_norm(x, W["l%d.ln1_g" % layer], W["l%d.ln1_b" % layer])
        x = x + attention(h, W, layer, n_head)
        h = layer_norm(x, W["l%d.ln2_g" % layer], W["l%d.ln2_b" % layer])
        x = x + gelu(h @ W["l%d.w1" % layer] + W["l%d.b1" % layer]) @ W["l%d.w2" % layer] + W["l%d.b2" % layer]
    x = layer_norm(x, W["lnf_g"], W["lnf_b"])
    return x @ W["lm_head"]


def generate(W, prompt, n_new):
    """Greedy decoding: append the most likely next token n_new times.

    W: dict of weight arrays (see data/weights.npz); prompt: list of token ids.
    Returns the list of the n_new generated token ids."""
    tokens = list(prompt)
    for _ in range(n_new):
        logits = forward(W, tokens)      # recomputes every position each step
        tokens.append(int(np.argmax(logits[-1])))
    return tokens[len(prompt):]
