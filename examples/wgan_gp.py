"""WGAN-GP (Gulrajani et al., 2017) on a 2-D mixture of 8 Gaussians on a circle.

The critic's Lipschitz constraint is a penalty on its gradient norm at points between real and fake
samples, ((||grad_x D(x_hat)||_2 - 1)^2).mean(); training through that penalty needs the gradient of a
gradient (autograd.grad with create_graph=True, then backward).

    python examples/wgan_gp.py --steps 2000
"""
import argparse
import math

import nativedl as nd
import nativedl.nn as nn


def mode_centers(radius=2.0, n_modes=8):
    angles = nd.arange(n_modes, dtype=nd.float32) * (2 * math.pi / n_modes)
    return nd.stack([angles.cos(), angles.sin()], dim=1) * radius


def sample_real(centers, n, std, generator):
    which = nd.randint(0, centers.shape[0], (n,), generator=generator)
    return centers[which] + nd.randn(n, 2, generator=generator) * std


def mlp(n_in, hidden, n_out):
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, n_out))


def gradient_penalty(critic, real, fake, generator=None):
    """((||grad D(x_hat)|| - 1)^2).mean() at random points x_hat on the segments from fake to real samples;
    the graph is kept (create_graph=True) so the penalty can be backpropagated into the critic."""
    eps = nd.rand(real.shape[0], 1, generator=generator)
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    (g,) = nd.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((g.norm(2, dim=1) - 1) ** 2).mean()


def nearest_mode_distance(samples, centers):
    """Mean over samples of the Euclidean distance to the closest mode center."""
    d = (samples.unsqueeze(1) - centers.unsqueeze(0)).norm(2, dim=2)
    return d.min(dim=1).values.mean().item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=2000, help="generator updates")
    parser.add_argument("--n-critic", type=int, default=5, help="critic updates per generator update")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--latent", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--gp-weight", type=float, default=1.0,
                        help="lambda; the paper's 10 oscillates at this learning rate")
    parser.add_argument("--std", type=float, default=0.05, help="standard deviation of each mode")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    nd.manual_seed(args.seed)
    gen = nd.Generator().manual_seed(args.seed)
    centers = mode_centers()
    generator, critic = mlp(args.latent, args.hidden, 2), mlp(2, args.hidden, 1)
    opt_g = nd.optim.Adam(generator.parameters(), lr=args.lr, betas=(0.5, 0.9))
    opt_d = nd.optim.Adam(critic.parameters(), lr=args.lr, betas=(0.5, 0.9))
    z_eval = nd.randn(1024, args.latent, generator=gen)

    def fake_batch():
        return generator(nd.randn(args.batch_size, args.latent, generator=gen))

    with nd.no_grad():
        start_distance = nearest_mode_distance(generator(z_eval), centers)
    critic_loss = penalty = None
    for step in range(1, args.steps + 1):
        for _ in range(args.n_critic):
            real, fake = sample_real(centers, args.batch_size, args.std, gen), fake_batch().detach()
            wasserstein = critic(fake).mean() - critic(real).mean()
            penalty = gradient_penalty(critic, real, fake, gen)
            critic_loss = wasserstein + args.gp_weight * penalty
            opt_d.zero_grad()
            critic_loss.backward()
            opt_d.step()
        gen_loss = -critic(fake_batch()).mean()
        opt_g.zero_grad()
        gen_loss.backward()
        opt_g.step()
        if step % max(1, args.steps // 10) == 0 or step == args.steps:
            with nd.no_grad():
                dist = nearest_mode_distance(generator(z_eval), centers)
            print(f"step {step:5d}  critic loss {critic_loss.item():+.4f}  penalty {penalty.item():.4f}  "
                  f"mean distance to nearest mode {dist:.4f}")
    with nd.no_grad():
        end_distance = nearest_mode_distance(generator(z_eval), centers)
    print(f"final: critic loss {critic_loss.item():+.4f}, mean distance to nearest mode "
          f"{start_distance:.4f} -> {end_distance:.4f}")
    return {"critic_loss": critic_loss.item(), "penalty": penalty.item(), "start_distance": start_distance,
            "end_distance": end_distance, "critic": critic, "generator": generator, "centers": centers}


if __name__ == "__main__":
    main()
