#!/usr/bin/python3
"""PyTorch side of the engine benchmark suite (bench/MixBit.Bench --suite).

  suite_torch.py export MODEL PATH          writes MODEL as ONNX (opset 13) with its BatchNormalization nodes kept
  suite_torch.py time MODEL --threads T     prints one JSON line: parameters, training and inference images/s

Models: the reference CNN of TOOLCHAIN.md; MixBit's built-in MobileNetV1 re-defined layer for layer (stem stride 1
below 64 px, channels int(c * width), ReLU6); torchvision's MobileNetV2 1.0 and ResNet-18 (1000 classes). MixBit runs
its own graph for the built-in architectures (the C# side checks that the parameter counts agree) and imports the
export for the torchvision ones; ONNX Runtime runs the export. Run with Debian's /usr/bin/python3 (python3-torch,
python3-onnx, python3-torchvision).
"""
import argparse, json, time, warnings
import torch
import torch.nn as nn

warnings.filterwarnings("ignore")


def reference_cnn():
    def cbr(cin, cout, k, s, groups=1):
        return [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU6()]
    layers = cbr(1, 16, 3, 1)
    for cin, cout, s in [(16, 32, 2), (32, 64, 2), (64, 64, 1), (64, 128, 2)]:
        layers += cbr(cin, cin, 3, s, groups=cin) + cbr(cin, cout, 1, 1)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10)]
    return nn.Sequential(*layers)


def mobilenet_v1(width, res, in_ch, classes):
    def cbr(cin, cout, k, s, groups=1):
        return [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU6()]
    ch = lambda c: max(1, int(c * width))
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
              (512, 1), (1024, 2), (1024, 1)]
    cin = ch(32)
    layers = cbr(in_ch, cin, 3, 1 if res < 64 else 2)
    for c, s in blocks:
        layers += cbr(cin, cin, 3, s, groups=cin) + cbr(cin, ch(c), 1, 1)
        cin = ch(c)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def torchvision_model(name):
    import torchvision
    return getattr(torchvision.models, name)(num_classes=1000)


# name -> (constructor, input shape C, H, W)
MODELS = {
    "reference": (reference_cnn, (1, 28, 28)),
    "mobilenet_v1_0.25_28": (lambda: mobilenet_v1(0.25, 28, 1, 10), (1, 28, 28)),
    "mobilenet_v1_0.25_96": (lambda: mobilenet_v1(0.25, 96, 3, 2), (3, 96, 96)),
    "mobilenet_v1_1.0_224": (lambda: mobilenet_v1(1.0, 224, 3, 1000), (3, 224, 224)),
    "mobilenet_v2_1.0_64": (lambda: torchvision_model("mobilenet_v2"), (3, 64, 64)),
    "resnet18_64": (lambda: torchvision_model("resnet18"), (3, 64, 64)),
}


def build(name):
    ctor, shape = MODELS[name]
    torch.manual_seed(0)
    return ctor(), shape


def export(name, path):
    """Training-mode export keeps BatchNormalization nodes (an eval-mode export folds them into the convolutions, and
    MixBit could then not train the model like PyTorch does); their extra statistics outputs are dropped, leaving
    inference-form BatchNormalization that MixBit imports and ONNX Runtime folds itself."""
    import onnx
    model, shape = build(name)
    model.train()
    torch.onnx.export(model, torch.randn(1, *shape), path, opset_version=13, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                      training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)
    proto = onnx.load(path)
    for node in proto.graph.node:
        if node.op_type == "BatchNormalization":
            del node.output[1:]
    onnx.checker.check_model(proto)
    onnx.save(proto, path)


def timed(fn, min_seconds, min_steps):
    """(calls, seconds) of fn over at least min_steps calls and min_seconds, after a warm-up of at least two calls and
    min_seconds / 2 (as the C# side does)."""
    warm, t0 = 0, time.perf_counter()
    while warm < 2 or time.perf_counter() - t0 < min_seconds / 2:
        fn()
        warm += 1
    steps, t0 = 0, time.perf_counter()
    while steps < min_steps or time.perf_counter() - t0 < min_seconds:
        fn()
        steps += 1
    return steps, time.perf_counter() - t0


def time_model(name, threads, batches, train_batch, min_seconds, min_steps):
    torch.set_num_threads(threads)
    model, shape = build(name)
    params = sum(p.numel() for p in model.parameters())
    result = {"torch": torch.__version__, "parameters": params, "threads": threads}
    if train_batch > 0:
        x = torch.randn(train_batch, *shape)
        y = torch.randint(0, 2, (train_batch,))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()
            opt.step()
        model.train()
        steps, s = timed(step, min_seconds, min_steps)
        result["train"] = train_batch * steps / s
    model.eval()
    for b in batches:
        x = torch.randn(b, *shape)
        with torch.no_grad():
            steps, s = timed(lambda: model(x), min_seconds, min_steps)
        result[f"infer{b}"] = b * steps / s
    return result


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("model", choices=MODELS)
    e.add_argument("path")
    t = sub.add_parser("time")
    t.add_argument("model", choices=MODELS)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--batches", default="32,1")
    t.add_argument("--train-batch", type=int, default=32)
    t.add_argument("--min-seconds", type=float, default=2.0)
    t.add_argument("--min-steps", type=int, default=3)
    a = ap.parse_args()
    if a.cmd == "export":
        export(a.model, a.path)
        print(json.dumps({"exported": a.path}))
    else:
        batches = [int(b) for b in a.batches.split(",") if b]
        print(json.dumps(time_model(a.model, a.threads, batches, a.train_batch, a.min_seconds, a.min_steps)))


if __name__ == "__main__":
    main()
