"""NeuralPool.Training's models as PyTorch nn.Sequential: the same layers in the same order as ModelZoo, so the
state_dict names are ModelZoo's (0.weight, 1.running_mean, ...). Used by train_torch.py, train_step_torch.py and
gen_training_parity.py, which import it from their own folder.

  lenet      Conv2d(1, 6, 5, padding=2) ReLU MaxPool2d(2) Conv2d(6, 16, 5) ReLU MaxPool2d(2)
             Flatten Linear(400, 120) ReLU Linear(120, 84) ReLU Linear(84, 10)           61,706 parameters
  vgg-small  [Conv2d(c, 32, 3, padding=1) BatchNorm2d ReLU] x2 MaxPool2d(2)
             [Conv2d(c, 64, 3, padding=1) BatchNorm2d ReLU] x2 MaxPool2d(2)
             Flatten Linear(3136, 256) ReLU Linear(256, 10)                                871,018 parameters

The pooling kind replaces MaxPool2d(2): "max", "avg" (AvgPool2d(2)), "lp" (LPPool2d(2, 2)), or "none", which drops
each pooling layer and gives the convolution before it stride 2 instead.
"""

import torch.nn as nn

POOLING = ("max", "avg", "lp", "none")


def pool(kind):
    return {"max": nn.MaxPool2d(2), "avg": nn.AvgPool2d(2), "lp": nn.LPPool2d(2, 2)}[kind]


def lenet(kind="max"):
    s = 2 if kind == "none" else 1
    layers = [nn.Conv2d(1, 6, 5, padding=2, stride=s), nn.ReLU()]
    if kind != "none":
        layers.append(pool(kind))
    layers += [nn.Conv2d(6, 16, 5, stride=s), nn.ReLU()]
    if kind != "none":
        layers.append(pool(kind))
    layers += [nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)]
    return nn.Sequential(*layers)


def vgg_small(kind="max"):
    layers = []
    c = 1
    for width in (32, 64):
        for j in range(2):
            stride = 2 if kind == "none" and j == 1 else 1
            layers += [nn.Conv2d(c, width, 3, padding=1, stride=stride), nn.BatchNorm2d(width), nn.ReLU()]
            c = width
        if kind != "none":
            layers.append(pool(kind))
    layers += [nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Linear(256, 10)]
    return nn.Sequential(*layers)


BUILDERS = {"lenet": lenet, "vgg-small": vgg_small}
