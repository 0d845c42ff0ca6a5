"""What a person calls each kind of data source: one spelling for the CLI, the setup form
and the results."""

from __future__ import annotations

SOURCE_NAMES = {
    "cifar10": "CIFAR-10",
    "cifar100": "CIFAR-100",
    "synthetic": "synthetic",
    "folder": "image folder",
}
