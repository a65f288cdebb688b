#!/usr/bin/python3
"""PyTorch side of the engine benchmark: the reference CNN of TOOLCHAIN.md, batch 64, 2 threads.

Prints one JSON line: training and inference images/s. With --onnx PATH it also exports the same
network (opset 13) for the ONNX Runtime column. Run with Debian's /usr/bin/python3 (python3-torch).
"""
import argparse, json, time
import torch
import torch.nn as nn


def reference_cnn():
    def cbr(cin, cout, k, s, groups=1):
        return [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU6()]
    layers = cbr(1, 16, 3, 1)
    for cin, cout, s in [(16, 32, 2), (32, 64, 2), (64, 64, 1), (64, 128, 2)]:
        layers += cbr(cin, cin, 3, s, groups=cin) + cbr(cin, cout, 1, 1)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10)]
    return nn.Sequential(*layers)


def timed(fn, warmup, steps):
    for _ in range(warmup):
        fn()
    t = time.perf_counter()
    for _ in range(steps):
        fn()
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--train-steps", type=int, default=60)
    ap.add_argument("--infer-steps", type=int, default=200)
    ap.add_argument("--onnx")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = reference_cnn()
    params = sum(p.numel() for p in model.parameters())
    x = torch.randn(a.batch, 1, 28, 28)
    y = torch.randint(0, 10, (a.batch,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()

    model.train()
    train_s = timed(train_step, 5, a.train_steps)
    model.eval()
    with torch.no_grad():
        infer_s = timed(lambda: model(x), 10, a.infer_steps)
    if a.onnx:
        torch.onnx.export(model, x, a.onnx, opset_version=13, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    print(json.dumps({"torch": torch.__version__, "parameters": params,
                      "train_images_per_s": a.batch * a.train_steps / train_s,
                      "infer_images_per_s": a.batch * a.infer_steps / infer_s}))


if __name__ == "__main__":
    main()
