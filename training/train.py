#!/usr/bin/python3
"""Train the CNN v3 U-Net with FiLM on sample directories and a conditioned target recipe.

    /usr/bin/python3 training/train.py --input samples_packed --epochs 20 --enc-channels 8,16

Each step draws patches (or whole images), random conditioning c ~ U[0,1]^5 and the recipe's
target for that c (cnnv3/recipes.py), and minimises
    loss = MSE(out.rgb, target) + edge_loss_weight · MSE(Sobel(out.rgb), Sobel(target))
(output channel 3 is unused by the hosts and left free). With --film-warmup-epochs N > 0 the FiLM
MLP is frozen (FiLM ≈ identity) for the first N epochs so the convs learn the average style first,
then unfrozen at lr × 0.1 so the conditioning path moves in gently; with N = 0 (the default) the MLP
trains from the start at the full lr. See docs/training.md.
"""

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from tqdm import tqdm  # noqa: E402

from cnnv3.dataset import DETECTORS, SampleDataset  # noqa: E402
from cnnv3.model import CNNv3  # noqa: E402
from cnnv3.modelfile import save_checkpoint, size_report  # noqa: E402
from cnnv3.recipes import get_recipe, sobel_xy  # noqa: E402

MLP_LR_SCALE = 0.1  # the MLP's lr after a warm-up, relative to --lr


def parse_pair(text):
    parts = [int(v) for v in text.split(",")]
    if len(parts) != 2 or min(parts) < 1:
        raise argparse.ArgumentTypeError(f"expected two positive integers like 8,16, got {text!r}")
    return parts


def build_parser():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", required=True, help="directory of sample directories")
    ap.add_argument("--input-mode", choices=("simple", "full"), default="simple",
                    help="simple: photo/video-like features; full: all channels from the files")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--patch-size", type=int, default=64)
    ap.add_argument("--patches-per-image", type=int, default=64)
    ap.add_argument("--detector", choices=DETECTORS, default="harris")
    ap.add_argument("--channel-dropout-p", type=float, default=0.3)
    ap.add_argument("--full-image", action="store_true",
                    help="train on whole images resized to --image-size² instead of patches")
    ap.add_argument("--image-size", type=int, default=256)
    ap.add_argument("--enc-channels", type=parse_pair, default=[8, 16])
    ap.add_argument("--film-cond-dim", type=int, default=5)
    ap.add_argument("--checkpoint-dir", default="checkpoints")
    ap.add_argument("--checkpoint-every", type=int, default=1, help="epochs between checkpoints")
    ap.add_argument("--edge-loss-weight", type=float, default=0.1)
    ap.add_argument("--film-warmup-epochs", type=int, default=0,
                    help="epochs with the FiLM MLP frozen; afterwards it trains at lr × 0.1 "
                         "(default 0: the MLP trains from the start at lr)")
    ap.add_argument("--recipe", default="blend_pulse")
    ap.add_argument("--unconditioned", action="store_true",
                    help="baseline: the network always sees c = 0.5 (targets still use random c), "
                         "so it can only learn the average style")
    ap.add_argument("--time-limit", type=float, default=0,
                    help="stop after the first epoch that ends this many seconds after the start "
                         "(0: no limit); the last epoch's checkpoint is written either way")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    return ap


def pick_device(name):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        sys.exit("train.py: --device cuda but CUDA is not available")
    return torch.device(name)


def loss_fn(out, target, edge_weight):
    rgb = out[:, :3]
    loss = F.mse_loss(rgb, target)
    if edge_weight > 0:
        loss = loss + edge_weight * F.mse_loss(sobel_xy(rgb), sobel_xy(target))
    return loss


def mlp_lr(args, epoch):
    """The FiLM MLP's learning rate in this epoch: 0 while frozen, lr × 0.1 after a warm-up."""
    if args.film_warmup_epochs <= 0:
        return args.lr
    return 0.0 if epoch < args.film_warmup_epochs else args.lr * MLP_LR_SCALE


def set_mlp_lr(model, opt, lr):
    for p in model.film_mlp.parameters():
        p.requires_grad_(lr > 0)
    opt.param_groups[1]["lr"] = lr


def main(argv=None):
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    args = build_parser().parse_args(argv)
    if args.film_cond_dim < 5:
        sys.exit("train.py: --film-cond-dim must be at least 5 (the recipe reads c[0..4])")
    torch.manual_seed(args.seed)
    device = pick_device(args.device)
    recipe = get_recipe(args.recipe)

    model = CNNv3(args.enc_channels, args.film_cond_dim).to(device)
    print(size_report(model))
    print(f"device {device}, recipe {recipe.name} v{recipe.version}, input mode {args.input_mode}")

    t0 = time.time()
    data = SampleDataset(args.input, recipe, args.input_mode, args.patch_size,
                         args.patches_per_image, args.detector, args.full_image, args.image_size,
                         args.channel_dropout_p, train=True, seed=args.seed,
                         cond_dim=args.film_cond_dim)
    print(f"{len(data.paths)} sample(s), {len(data)} item(s) per epoch, loaded in "
          f"{time.time() - t0:.1f} s")
    loader = torch.utils.data.DataLoader(
        data, batch_size=args.batch_size, shuffle=True, num_workers=0,
        generator=torch.Generator().manual_seed(args.seed), pin_memory=device.type == "cuda")

    conv_params = [p for conv in model.convs() for p in conv.parameters()]
    opt = torch.optim.Adam([{"params": conv_params, "lr": args.lr},
                            {"params": list(model.film_mlp.parameters()),
                             "lr": mlp_lr(args, 0)}])
    ckdir = Path(args.checkpoint_dir)
    ckdir.mkdir(parents=True, exist_ok=True)
    config = {
        "enc_channels": list(model.enc_channels), "film_cond_dim": model.film_cond_dim,
        "film_hidden": model.film_hidden,
        "recipe": {"name": recipe.name, "version": recipe.version},
        "input_mode": args.input_mode,
        "unconditioned": bool(args.unconditioned),
        "command": shlex.join([sys.executable, os.path.relpath(__file__)] + argv),
        "args": {k: v for k, v in vars(args).items()},
        "samples": [str(p) for p in data.paths],
    }

    epoch_loss = float("nan")
    for epoch in range(args.epochs):
        set_mlp_lr(model, opt, mlp_lr(args, epoch))
        model.train()
        total, count = 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False, dynamic_ncols=True)
        for feats, c, target in bar:
            feats, c, target = feats.to(device), c.to(device), target.to(device)
            if args.unconditioned:
                c = torch.full_like(c, 0.5)
            loss = loss_fn(model(feats, c), target, args.edge_loss_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * feats.shape[0]
            count += feats.shape[0]
            bar.set_postfix(loss=f"{total / count:.5f}")
        epoch_loss = total / max(count, 1)
        frozen = " (FiLM MLP frozen)" if epoch < args.film_warmup_epochs else ""
        print(f"epoch {epoch + 1}/{args.epochs}: loss {epoch_loss:.6f}{frozen}", flush=True)
        out_of_time = args.time_limit > 0 and time.time() - t0 > args.time_limit
        if (epoch + 1) % max(args.checkpoint_every, 1) == 0 or epoch + 1 == args.epochs or out_of_time:
            path = ckdir / f"ckpt_epoch_{epoch + 1:04d}.pt"
            save_checkpoint(path, model, opt, epoch + 1, epoch_loss, config)
            save_checkpoint(ckdir / "latest.pt", model, opt, epoch + 1, epoch_loss, config)
            print(f"wrote {path}", flush=True)
        if out_of_time:
            print(f"stopped after epoch {epoch + 1}: --time-limit {args.time_limit:g} s reached", flush=True)
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
