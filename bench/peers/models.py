"""The examples (examples/*.gps) written in PyTorch, as gps computes them.

Each model holds its parameters under gps's names (`enc.l0.w`, `p_lstm.wx`,
`c0`, ...) in PyTorch's layout: a weight gps stores as [in, out] (x @ w) is
held as [out, in] (F.linear's), so a gps checkpoint loads with a transpose.
Initialisation is gps's scheme (docs/trainer.md, the manifest's `init`):
Glorot-uniform weights, U(-a, a) with a = sqrt(6 / (fan_in + fan_out)),
zero biases, zero LSTM peepholes and zero `c0`.

The objective is the one gps compiles (docs/design.md, "KL expansion";
lib/Transforms/Decompose.cpp for the formulas):

- a Gaussian sample is reparameterised, mean + exp(logvar / 2) * eps, with
  eps from `noise(site, step, rows, cols)` (gps's Philox draws in the
  equal-work check, torch.randn in the benchmark);
- kl(q||p) is the closed-form KL between the guide's and the primary's
  Gaussians at every site and step, summed over steps, per example;
  kl(p||q) the reverse direction;
- nll is -log p(x | tau) of a Bernoulli with logits c, softplus(c) - x c,
  over the missing elements only where the model has a mask;
- every term is a mean over the batch, and the objective is the
  objective line of the .gps file over those means.

Every product of an activation with a weight goes through one `linear`
function, F.linear (BLAS) or oneDNN's inner product (`gemm="mkldnn"`), so
that the two GEMM paths differ in nothing else.
"""

import math

import torch
import torch.nn.functional as F


# ----------------------------------------------------------------------------
# The two GEMM paths
# ----------------------------------------------------------------------------

def _mkldnn_linear(x, w, b=None):
    """x @ w.T (+ b) by oneDNN's inner product; x, w dense, result dense."""
    return torch._C._nn.mkldnn_linear(x.contiguous().to_mkldnn(),
                                      w.contiguous(), b).to_dense()


class MkldnnLinear(torch.autograd.Function):
    """y = x w^T + b with the forward and both backward GEMMs in oneDNN."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        ctx.has_bias = b is not None
        return _mkldnn_linear(x, w, b)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        grad = grad.contiguous()
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = _mkldnn_linear(grad, w.t())          # [B, out] @ [out, in]
        if ctx.needs_input_grad[1]:
            gw = _mkldnn_linear(grad.t(), x.t())      # [out, B] @ [B, in]
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = grad.sum(0)
        return gx, gw, gb


def make_linear(gemm):
    if gemm == "blas":
        return F.linear
    if gemm == "mkldnn":
        if not torch.backends.mkldnn.is_available():
            raise RuntimeError("this PyTorch has no oneDNN (mkldnn)")
        return lambda x, w, b=None: MkldnnLinear.apply(x, w, b)
    raise ValueError("unknown GEMM path %r" % gemm)


# ----------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------

_ACT = {"relu": torch.relu, "tanh": torch.tanh, None: lambda v: v}


def gauss_kl(m1, l1, m2, l2):
    """KL(N(m1, e^l1) || N(m2, e^l2)) per example, as gps-decompose writes it;
    None stands for the standard normal's zero mean or log-variance."""
    zeros = torch.zeros_like(m1 if m1 is not None else m2)
    m1 = zeros if m1 is None else m1
    m2 = zeros if m2 is None else m2
    l1 = zeros if l1 is None else l1
    l2 = zeros if l2 is None else l2
    dm = m1 - m2
    elem = (l2 - l1) + torch.exp(l1 - l2) + dm * dm * torch.exp(-l2) - 1.0
    return (elem * 0.5).sum(1)


def bernoulli_nll(logits, x, mask=None):
    """-log Bernoulli(x; logits) per example (missing elements only with a
    mask whose 1s mark known elements)."""
    elem = F.softplus(logits) - x * logits
    if mask is not None:
        elem = elem * (1.0 - mask)
    return elem.sum(1)


class Model(torch.nn.Module):
    """Parameters by gps name; MLPs, affine maps and LSTM cells over them."""

    def __init__(self, gemm, dtype=torch.float32):
        super().__init__()
        self.linear = make_linear(gemm)
        self.dtype = dtype
        self.names = []          # gps names in declaration order
        self.gps_layout = {}     # name -> True where gps stores w^T

    def _param(self, name, shape, init, gps_transposed=False):
        data = torch.zeros(shape, dtype=self.dtype)
        if init == "glorot":
            fan_out, fan_in = shape  # PyTorch layout [out, in]
            a = math.sqrt(6.0 / (fan_in + fan_out))
            data.uniform_(-a, a)
        p = torch.nn.Parameter(data)
        self.register_parameter(name.replace(".", "__"), p)
        self.names.append(name)
        self.gps_layout[name] = gps_transposed
        return p

    def param(self, name):
        return getattr(self, name.replace(".", "__"))

    def mlp(self, name, sizes):
        """sizes: [in, (n, act), ..., (n, None) or ('gauss', n)]."""
        layers, fan_in = [], sizes[0]
        for i, layer in enumerate(sizes[1:]):
            if layer[0] == "gauss":
                out, act = 2 * layer[1], None
            else:
                out, act = layer
            w = self._param("%s.l%d.w" % (name, i), (out, fan_in), "glorot", True)
            b = self._param("%s.l%d.b" % (name, i), (out,), "zeros")
            layers.append((w, b, act))
            fan_in = out
        gauss = sizes[-1][0] == "gauss"

        def run(v):
            for w, b, act in layers:
                v = _ACT[act](self.linear(v, w, b))
            if gauss:
                n = v.shape[1] // 2
                return v[:, :n], v[:, n:]
            return v
        return run

    def lstm(self, name, n_in, n_h):
        wx = self._param(name + ".wx", (4 * n_h, n_in), "glorot", True)
        wh = self._param(name + ".wh", (4 * n_h, n_h), "glorot", True)
        b = self._param(name + ".b", (4 * n_h,), "zeros")
        peep = self._param(name + ".peephole", (3, n_h), "zeros")

        def run(h, c, x):
            # lib/Transforms/Decompose.cpp, LSTMCellPattern.
            a = self.linear(x, wx, b) + self.linear(h, wh)
            i = torch.sigmoid(a[:, :n_h] + peep[0] * c)
            f = torch.sigmoid(a[:, n_h:2 * n_h] + peep[1] * c)
            g = torch.tanh(a[:, 2 * n_h:3 * n_h])
            c = f * c + i * g
            o = torch.sigmoid(a[:, 3 * n_h:] + peep[2] * c)
            return o * torch.tanh(c), c
        return run

    def load_gps(self, params):
        """Loads gps parameters {name: numpy array in gps's layout}."""
        with torch.no_grad():
            for name in self.names:
                value = torch.from_numpy(params[name].copy()).to(self.dtype)
                if self.gps_layout[name]:
                    value = value.t().contiguous()
                p = self.param(name)
                if tuple(value.shape) != tuple(p.shape):
                    raise ValueError("%s: gps shape %s, peer %s" %
                                     (name, tuple(value.shape), tuple(p.shape)))
                p.copy_(value)

    def grads_gps(self):
        """The gradients {name: numpy array in gps's layout}."""
        out = {}
        for name in self.names:
            g = self.param(name).grad
            if g is None:
                g = torch.zeros_like(self.param(name))
            if self.gps_layout[name]:
                g = g.t()
            out[name] = g.detach().contiguous().numpy()
        return out


# ----------------------------------------------------------------------------
# The examples
# ----------------------------------------------------------------------------

class Vae(Model):
    """examples/vae.gps."""
    dim, mask = 784, None
    sites = {"z": 0}

    def __init__(self, gemm, dtype=torch.float32):
        super().__init__(gemm, dtype)
        self.enc = self.mlp("enc", [784, (500, "relu"), (500, "relu"), ("gauss", 50)])
        self.dec = self.mlp("dec", [50, (500, "relu"), (500, "relu"), (784, None)])

    def terms(self, x, mask, noise):
        m, lv = self.enc(x)
        eps = noise("z", 0, x.shape[0], 50)
        z = m + torch.exp(lv * 0.5) * eps
        nll = bernoulli_nll(self.dec(z), x).mean()
        kl = gauss_kl(m, lv, None, None).mean()
        return {"objective": nll + kl, "nll": nll, "kl(q||p)": kl}


class GpsiAdd(Model):
    """examples/gpsi_add.gps with T steps (6 in the example)."""
    dim, mask = 784, ("mar", 14, 28, 28)
    sites = {"z": 0}

    def __init__(self, gemm, dtype=torch.float32, steps=6):
        super().__init__(gemm, dtype)
        self.steps = steps
        self.step_p = self.mlp("step_p", [1568, (1000, "relu"), (1000, "relu"), ("gauss", 100)])
        self.step_q = self.mlp("step_q", [2352, (1000, "relu"), (1000, "relu"), ("gauss", 100)])
        self.write = self.mlp("write", [100, (1000, "relu"), (1000, "relu"), (784, None)])
        self.c0 = self._param("c0", (784,), "zeros")

    def terms(self, x, m, noise):
        b = x.shape[0]
        c = self.c0.expand(b, 784)
        known = x * m
        kl = 0.0
        for t in range(1, self.steps + 1):
            # fill(sigmoid(c), x.known, m): the imputation in pixel space.
            filled = m * known + (1.0 - m) * torch.sigmoid(c)
            pm, pl = self.step_p(torch.cat([filled, m], 1))
            qm, ql = self.step_q(torch.cat([filled, m, x], 1))
            z = qm + torch.exp(ql * 0.5) * noise("z", t, b, 100)
            kl = kl + gauss_kl(qm, ql, pm, pl)
            c = c + self.write(z)
        nll = bernoulli_nll(c, x, m).mean()
        kl = kl.mean()
        return {"objective": nll + kl, "nll": nll, "kl(q||p)": kl}


class LstmGen(Model):
    """examples/lstm_gen.gps."""
    dim, mask = 784, None
    sites = {"z": 0, "z0": 1}

    def __init__(self, gemm, dtype=torch.float32, steps=16):
        super().__init__(gemm, dtype)
        self.steps = steps
        self.enc0 = self.mlp("enc0", [784, (250, "tanh"), ("gauss", 20)])
        self.init = self.mlp("init", [20, (250, "tanh"), (1000, None)])
        self.p_lstm = self.lstm("p_lstm", 100, 250)
        self.q_lstm = self.lstm("q_lstm", 1818, 250)
        self.prior = self.mlp("prior", [250, ("gauss", 100)])
        self.post = self.mlp("post", [250, ("gauss", 100)])
        self.write = self.mlp("write", [250, (784, None)])
        self.c0 = self._param("c0", (784,), "zeros")

    def terms(self, x, mask, noise):
        b = x.shape[0]
        m0, l0 = self.enc0(x)
        z0 = m0 + torch.exp(l0 * 0.5) * noise("z0", 0, b, 20)
        v = self.init(z0)
        sh, sc, gh, gc = v[:, :250], v[:, 250:500], v[:, 500:750], v[:, 750:]
        c = self.c0.expand(b, 784)
        kl_qp = gauss_kl(m0, l0, None, None)
        kl_pq = gauss_kl(None, None, m0, l0)
        for t in range(1, self.steps + 1):
            gh, gc = self.q_lstm(gh, gc, torch.cat([x - torch.sigmoid(c), x, sh], 1))
            pm, pl = self.prior(sh)
            qm, ql = self.post(gh)
            z = qm + torch.exp(ql * 0.5) * noise("z", t, b, 100)
            kl_qp = kl_qp + gauss_kl(qm, ql, pm, pl)
            kl_pq = kl_pq + gauss_kl(pm, pl, qm, ql)
            sh, sc = self.p_lstm(sh, sc, z)
            c = c + self.write(sh)
        nll = bernoulli_nll(c, x).mean()
        kl_qp, kl_pq = kl_qp.mean(), kl_pq.mean()
        return {"objective": nll + 0.95 * kl_qp + 0.05 * kl_pq, "nll": nll,
                "kl(q||p)": kl_qp, "kl(p||q)": kl_pq}


MODELS = {"vae": Vae, "gpsi_add": GpsiAdd, "lstm_gen": LstmGen}


def build(name, gemm, dtype=torch.float32, steps=None):
    cls = MODELS[name]
    if steps is not None and name != "vae":
        return cls(gemm, dtype, steps=steps)
    return cls(gemm, dtype)
