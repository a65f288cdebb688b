#!/usr/bin/python3
"""Generate the small ONNX fixtures of tests/MixBit.Tests/Fixtures with PyTorch (run with /usr/bin/python3).

Needs the Debian packages python3-torch (PyTorch 1.13) and python3-onnx (onnx 1.12); the tests only read the
files written here, so they do not need torch. Deterministic: fixed seeds, single thread.

For every model NAME it writes
  NAME.onnx         the exported model
  NAME.input.bin    a float32 little-endian input batch [N, C, H, W]
  NAME.output.bin   PyTorch's own output for that batch (float32 little-endian), independent of ONNX Runtime
  NAME.json         {"input_shape": [...], "output_shape": [...], "opset": k}
plus two files for the error tests: corrupt.onnx (a truncated model) and unsupported_sigmoid.onnx.

  /usr/bin/python3 scripts/make_onnx_fixtures.py [output folder]
"""
import gzip
import json
import os
import struct
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "MixBit.Tests", "Fixtures")
FASHION = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
FASHION_LABELS = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"
MAX_BYTES = 200_000

torch.manual_seed(0)
torch.set_num_threads(1)


def conv_bn_relu6(c_in, c_out, k, stride=1, groups=1):
    return [nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(c_out), nn.ReLU6()]


class ReferenceCnn(nn.Module):
    """TOOLCHAIN.md's speed-comparison CNN: 18,826 parameters at 1x28x28, 10 classes."""

    def __init__(self):
        super().__init__()
        layers = conv_bn_relu6(1, 16, 3)
        c = 16
        for c_out, s in [(32, 2), (64, 2), (64, 1), (128, 2)]:
            layers += conv_bn_relu6(c, c, 3, s, groups=c) + conv_bn_relu6(c, c_out, 1)
            c = c_out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(128, 10)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand + BN + ReLU6, dw 3x3 + BN + ReLU6, 1x1 project + BN, residual Add if shapes match."""

    def __init__(self, c_in, c_out, stride, expand):
        super().__init__()
        hidden = c_in * expand
        layers = conv_bn_relu6(c_in, hidden, 1) if expand != 1 else []
        layers += conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden)
        layers += [nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class SmallMobileNetV2(nn.Module):
    def __init__(self):
        super().__init__()
        blocks = conv_bn_relu6(1, 16, 3)
        c = 16
        for t, c_out, s in [(1, 16, 1), (4, 24, 2), (4, 24, 1), (4, 32, 2), (4, 32, 1)]:
            blocks.append(InvertedResidual(c, c_out, s, t))
            c = c_out
        blocks += conv_bn_relu6(c, 128, 1)
        self.features = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.classifier = nn.Linear(128, 10)

    def forward(self, x):
        return self.classifier(self.dropout(torch.flatten(self.pool(self.features(x)), 1)))


class TinyPoolNet(nn.Module):
    """MaxPool, AveragePool (padded, count_include_pad=False), Reshape to [-1, F], Dropout, Gemm, MatMul + Add,
    ReLU6 (Clip with attributes at opset 10) and Softmax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, stride=1, padding=(1, 0))
        self.fc = nn.Linear(8 * 7 * 6, 32)
        self.dropout = nn.Dropout(0.5)
        self.w2 = nn.Parameter(torch.randn(32, 10) * 0.2)
        self.b2 = nn.Parameter(torch.randn(10) * 0.1)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2, 2)                      # 8x14x14
        x = F.avg_pool2d(F.relu6(self.conv2(x)), 3, 2, padding=1, count_include_pad=False)  # 8x7x6
        x = x.reshape(-1, 8 * 7 * 6)
        x = F.relu(self.fc(self.dropout(x)))
        return torch.softmax(torch.matmul(x, self.w2) + self.b2, dim=1)


class SigmoidNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(torch.sigmoid(self.conv(x)), 1), 1))


def read_idx(path, count):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[3] == 3:  # IDX magic 0x00000803: images (count, rows, cols); 0x00000801: labels
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, np.uint8, count * rows * cols, 16).reshape(count, 1, rows, cols)
    return np.frombuffer(data, np.uint8, count, 8)


def training_data(count):
    """Fashion-MNIST when installed (dataset-fashion-mnist), otherwise random images and labels."""
    if os.path.exists(FASHION):
        x = torch.from_numpy(read_idx(FASHION, count).astype(np.float32) / 255.0)
        y = torch.from_numpy(read_idx(FASHION_LABELS, count).astype(np.int64))
        return x, y, "fashion-mnist"
    return torch.rand(count, 1, 28, 28), torch.randint(0, 10, (count,)), "random"


def train(model, steps, x, y, batch=64, lr=0.05):
    """A few hundred SGD steps so weights and BN running statistics are those of a trained model."""
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    model.train()
    for step in range(steps):
        i = torch.randint(0, x.shape[0], (batch,))
        loss = F.cross_entropy(model(x[i]), y[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return loss.item()


def export(model, name, opset, x, preserve_batchnorm):
    model.eval()
    path = os.path.join(OUT, name + ".onnx")
    # PRESERVE keeps BatchNormalization nodes (EVAL would fold them into the convolutions); the model is in eval
    # mode either way, so BN uses its running statistics and Dropout is inactive.
    mode = torch.onnx.TrainingMode.PRESERVE if preserve_batchnorm else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, training=mode,
                      do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    with torch.no_grad():
        y = model(x)
    x.numpy().astype("<f4").tofile(os.path.join(OUT, name + ".input.bin"))
    y.numpy().astype("<f4").tofile(os.path.join(OUT, name + ".output.bin"))
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump({"input_shape": list(x.shape), "output_shape": list(y.shape), "opset": opset}, f)
        f.write("\n")
    ops = sorted({n.op_type for n in onnx.load(path).graph.node})
    print(f"{name}: {os.path.getsize(path)} bytes, opset {opset}, ops {ops}")
    return path


def insert_no_ops(path):
    """PyTorch drops Dropout and Identity in eval mode; put them back (Dropout before the Gemm, Identity before the
    MatMul) so the importer's rewiring is tested. Both are no-ops in inference, so the saved outputs still hold."""
    model = onnx.load(path)
    nodes = list(model.graph.node)
    gemm = next(i for i, n in enumerate(nodes) if n.op_type == "Gemm")
    matmul = next(i for i, n in enumerate(nodes) if n.op_type == "MatMul")
    dropout = onnx.helper.make_node("Dropout", [nodes[gemm].input[0]], ["dropout_output"], name="dropout", ratio=0.5)
    identity = onnx.helper.make_node("Identity", [nodes[matmul].input[0]], ["identity_output"], name="")
    nodes[gemm].input[0] = "dropout_output"
    nodes[matmul].input[0] = "identity_output"
    nodes.insert(matmul, identity)
    nodes.insert(gemm, dropout)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main():
    os.makedirs(OUT, exist_ok=True)
    x_train, y_train, source = training_data(6000)
    sample = x_train[:4].clone()

    ref = ReferenceCnn()
    assert sum(p.numel() for p in ref.parameters()) == 18_826
    loss = train(ref, 300, x_train, y_train)
    print(f"reference_cnn trained 300 steps on {source}, last loss {loss:.3f}")
    ref_path = export(ref, "reference_cnn", 13, sample, preserve_batchnorm=True)

    v2 = SmallMobileNetV2()
    loss = train(v2, 200, x_train, y_train)
    print(f"mobilenet_v2_small trained 200 steps, last loss {loss:.3f}")
    export(v2, "mobilenet_v2_small", 13, sample, preserve_batchnorm=True)
    # The same network with BN folded into the convolutions by the exporter (Conv with bias).
    export(v2, "mobilenet_v2_small_folded", 13, sample, preserve_batchnorm=False)

    tiny = TinyPoolNet()
    # Its output is already a softmax; cross-entropy on it still trains it enough to make outputs input-dependent.
    loss = train(tiny, 200, x_train, y_train, lr=0.01)
    print(f"tiny_pool trained 200 steps, last loss {loss:.3f}")
    insert_no_ops(export(tiny, "tiny_pool", 10, sample, preserve_batchnorm=True))

    sig = SigmoidNet()
    export(sig, "unsupported_sigmoid", 13, sample[:1], preserve_batchnorm=False)

    with open(ref_path, "rb") as f:
        data = f.read()
    with open(os.path.join(OUT, "corrupt.onnx"), "wb") as f:
        f.write(data[: len(data) // 2])

    for file in os.listdir(OUT):
        size = os.path.getsize(os.path.join(OUT, file))
        assert size < MAX_BYTES, f"{file} is {size} bytes"


if __name__ == "__main__":
    main()
