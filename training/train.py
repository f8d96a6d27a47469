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

With --temporal-frames K ≥ 2 each item is a K-frame clip of synthetic motion (cnnv3/motion.py): frame t
gets prev.rgb (channels 9–11) = the network's own output for frame t − 1 (detached; 0 on frame 0 and,
with probability --temporal-dropout per clip, on every frame: what hook files give), exactly as a video
host feeds it (no motion compensation). The loss adds, per frame t ≥ 1, the temporal-consistency term
    temporal_loss_weight · MSE_mask((out_t − W out_{t−1}) − (target_t − W target_{t−1}))
with W the known motion from frame t − 1 to t: the output may change between frames only as the
target does. --wrap-loss-weight adds MSE(FiLM(c, beat_norm 0), FiLM(c, beat_norm 1)) so the bar's
wrap (SPEC §6) cannot snap; --wrap-warmup-epochs N adds it only from epoch N + 1 on.
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

from cnnv3 import motion  # noqa: E402
from cnnv3.dataset import DETECTORS, SampleDataset  # noqa: E402
from cnnv3.features import build_features  # noqa: E402
from cnnv3.model import CNNv3  # noqa: E402
from cnnv3.modelfile import load_checkpoint, save_checkpoint, size_report  # noqa: E402
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
    ap.add_argument("--recipe-version", type=int, default=None,
                    help="recipe version (default: the newest)")
    ap.add_argument("--temporal-frames", type=int, default=0,
                    help="clips of this many frames of synthetic motion, prev.rgb = the previous "
                         "output (0: still patches, prev = 0)")
    ap.add_argument("--temporal-dropout", type=float, default=0.5,
                    help="probability that a clip gets prev = 0 on every frame")
    ap.add_argument("--temporal-loss-weight", type=float, default=1.0)
    ap.add_argument("--motion-noise", type=float, default=1.5 / 255,
                    help="max std of the Gaussian noise added to each frame's input")
    ap.add_argument("--wrap-loss-weight", type=float, default=0.0,
                    help="weight of MSE(FiLM(beat_norm 0), FiLM(beat_norm 1))")
    ap.add_argument("--unconditioned", action="store_true",
                    help="baseline: the network always sees c = 0.5 (targets still use random c), "
                         "so it can only learn the average style")
    ap.add_argument("--time-limit", type=float, default=0,
                    help="stop after the first epoch that ends this many seconds after the start "
                         "(0: no limit); the last epoch's checkpoint is written either way")
    ap.add_argument("--init", help="start from this train.py checkpoint's weights (same "
                                    "--enc-channels); the optimizer and epoch count start afresh")
    ap.add_argument("--wrap-warmup-epochs", type=int, default=0,
                    help="the wrap loss counts only from this epoch on (a small network that sees it "
                         "from the start can learn to ignore beat_norm)")
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


def wrap_loss(model, c):
    """MSE between the FiLM vectors at beat_norm 0 and 1, all else equal (the bar wraps there)."""
    c0, c1 = c.clone(), c.clone()
    c0[:, 1], c1[:, 1] = 0.0, 1.0
    return F.mse_loss(model.film(c0), model.film(c1))


CLIP_MARGIN = 8  # px around a patch for the motion of a 3-frame clip (≤ 2 px/frame + rotation, zoom)


def clip_loss(model, maps, c, recipe, args, gen, net_c=None):
    """Loss of one batch of synthetic clips (see the module docstring). maps: window tensors
    (B, C, S, S) on the device; c (B, 5) the conditioning of the last frame; net_c what the network
    sees instead of c (the unconditioned baseline's 0.5), else c."""
    b, frames, size = c.shape[0], args.temporal_frames, args.patch_size
    dev = c.device
    mot = motion.random_motion(b, gen, dev)
    conds = [c]
    for _ in range(frames - 1):
        conds.insert(0, motion.step_conditions(conds[0], gen))
    use_prev = (torch.rand(b, generator=gen) >= args.temporal_dropout).to(dev).view(b, 1, 1, 1)
    noise_std = (torch.rand(b, generator=gen) * args.motion_noise).to(dev).view(b, 1, 1, 1)
    names = list(maps)
    window = torch.cat([maps[k] for k in names], 1)
    splits = [maps[k].shape[1] for k in names]
    loss, prev_out, prev_t = 0.0, None, None
    for t in range(frames):
        fmaps = dict(zip(names, torch.split(motion.render(window, mot, t, frames, size), splits, 1)))
        target = recipe.apply(fmaps, conds[t])
        noise = torch.randn(fmaps["photo"].shape, generator=gen).to(dev) * noise_std
        photo = (fmaps["photo"] + noise).clamp(0.0, 1.0)
        prev = None if prev_out is None else prev_out.detach() * use_prev
        out = model(build_features(photo, prev=prev), conds[t] if net_c is None else net_c)[:, :3]
        loss = loss + loss_fn(out, target, args.edge_loss_weight) / frames
        if prev_out is not None and args.temporal_loss_weight > 0:
            w_out, mask = motion.warp_previous(prev_out, mot, t, frames)
            w_t, _ = motion.warp_previous(prev_t, mot, t, frames)
            err = ((out - w_out) - (target - w_t)) ** 2 * mask
            loss = loss + args.temporal_loss_weight * err.sum() / (3 * mask.sum()).clamp_min(1) / (frames - 1)
        prev_out, prev_t = out, target
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


def load_init(model, path, enc_channels):
    """Copy the weights of a train.py checkpoint into model; exits with one line if they don't fit."""
    try:
        model.load_state_dict(load_checkpoint(path)[0].state_dict())
    except Exception as e:  # noqa: BLE001 - missing file, not a checkpoint, another shape: one line
        sys.exit(f"{path}: not a train.py checkpoint of this network (expected --enc-channels "
                 f"{enc_channels[0]},{enc_channels[1]}): {str(e).splitlines()[0] if str(e) else type(e).__name__}")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    args = build_parser().parse_args(argv)
    if args.film_cond_dim < 5:
        sys.exit("train.py: --film-cond-dim must be at least 5 (the recipe reads c[0..4])")
    torch.manual_seed(args.seed)
    device = pick_device(args.device)
    if args.temporal_frames == 1 or args.temporal_frames < 0:
        sys.exit("train.py: --temporal-frames must be 0 (off) or at least 2")
    recipe = get_recipe(args.recipe, args.recipe_version)

    model = CNNv3(args.enc_channels, args.film_cond_dim).to(device)
    if args.init:
        load_init(model, args.init, args.enc_channels)
    print(size_report(model))
    print(f"device {device}, recipe {recipe.name} v{recipe.version}, input mode {args.input_mode}")

    t0 = time.time()
    data = SampleDataset(args.input, recipe, args.input_mode, args.patch_size,
                         args.patches_per_image, args.detector, args.full_image, args.image_size,
                         args.channel_dropout_p, train=True, seed=args.seed,
                         cond_dim=args.film_cond_dim,
                         clip_margin=CLIP_MARGIN if args.temporal_frames else 0)
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

    gen = torch.Generator().manual_seed(args.seed + 1)  # motion, noise, temporal dropout
    epoch_loss = float("nan")
    for epoch in range(args.epochs):
        set_mlp_lr(model, opt, mlp_lr(args, epoch))
        model.train()
        total, count = 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False, dynamic_ncols=True)
        for batch in bar:
            if args.temporal_frames:
                maps, c = batch
                maps, c = {k: v.to(device) for k, v in maps.items()}, c.to(device)
                net_c = torch.full_like(c, 0.5) if args.unconditioned else None
                loss = clip_loss(model, maps, c, recipe, args, gen, net_c)
            else:
                feats, c, target = (v.to(device) for v in batch)
                if args.unconditioned:
                    c = torch.full_like(c, 0.5)
                loss = loss_fn(model(feats, c), target, args.edge_loss_weight)
            if args.wrap_loss_weight > 0 and not args.unconditioned and epoch >= args.wrap_warmup_epochs:
                loss = loss + args.wrap_loss_weight * wrap_loss(model, c)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * c.shape[0]
            count += c.shape[0]
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
