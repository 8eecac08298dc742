"""DQN (Mnih et al., 2015) on cart-pole: an MLP Q-network trained from a replay buffer against a periodically
copied target network, with epsilon-greedy exploration. The cart-pole is simulated below in NumPy with the
classic Barto, Sutton and Anderson dynamics and gym's CartPole-v1 constants (push of +-10 N every 0.02 s,
episode over when |x| > 2.4 or the pole leans more than 12 degrees, at most 500 steps, reward 1 per step), so
no environment package is needed. A uniformly random policy keeps the pole up ~22 steps.

DQN's greedy policy swings between good and poor phases as training goes on, so the network is evaluated
greedily every --eval-every steps and the best one is kept (a checkpoint), then scored on fresh episodes.

    python examples/dqn_cartpole.py --steps 20000
"""
import argparse
import math

import numpy as np

import nativedl as nd
import nativedl.nn as nn
import nativedl.nn.functional as F


class CartPole:
    """Euler-integrated cart-pole; state (x, x_dot, theta, theta_dot), actions 0 (push left) and 1 (push right)."""
    gravity, cart_mass, pole_mass, half_length, force, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    x_limit, theta_limit, max_steps = 2.4, 12 * 2 * math.pi / 360, 500

    def __init__(self, rng):
        self.rng = rng

    def reset(self):
        self.state = self.rng.uniform(-0.05, 0.05, 4)
        self.steps = 0
        return self.state.astype(np.float32)

    def step(self, action):
        """(next state, reward, terminated (the pole fell or the cart left), truncated (max_steps reached))."""
        x, x_dot, theta, theta_dot = self.state
        total_mass = self.cart_mass + self.pole_mass
        pole_moment = self.pole_mass * self.half_length
        force = self.force if action == 1 else -self.force
        cos, sin = math.cos(theta), math.sin(theta)
        temp = (force + pole_moment * theta_dot ** 2 * sin) / total_mass
        theta_acc = (self.gravity * sin - cos * temp) / (
            self.half_length * (4.0 / 3.0 - self.pole_mass * cos ** 2 / total_mass))
        x_acc = temp - pole_moment * theta_acc * cos / total_mass
        self.state = np.array([x + self.tau * x_dot, x_dot + self.tau * x_acc,
                               theta + self.tau * theta_dot, theta_dot + self.tau * theta_acc])
        self.steps += 1
        terminated = abs(self.state[0]) > self.x_limit or abs(self.state[2]) > self.theta_limit
        return self.state.astype(np.float32), 1.0, terminated, self.steps >= self.max_steps


class ReplayBuffer:
    """A ring buffer of transitions (s, a, r, s', done) in preallocated NumPy arrays, sampled uniformly."""

    def __init__(self, capacity, state_dim, rng):
        self.states = np.zeros((capacity, state_dim), np.float32)
        self.next_states = np.zeros((capacity, state_dim), np.float32)
        self.actions = np.zeros(capacity, np.int64)
        self.rewards = np.zeros(capacity, np.float32)
        self.dones = np.zeros(capacity, np.float32)
        self.capacity, self.size, self.pos, self.rng = capacity, 0, 0, rng

    def add(self, state, action, reward, next_state, done):
        i = self.pos
        self.states[i], self.actions[i], self.rewards[i], self.next_states[i], self.dones[i] = \
            state, action, reward, next_state, done
        self.pos = (self.pos + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size):
        idx = self.rng.integers(0, self.size, batch_size)
        return tuple(nd.from_numpy(a[idx]) for a in
                     (self.states, self.actions, self.rewards, self.next_states, self.dones))


def q_network(hidden):
    return nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2))


def greedy_action(q, state):
    with nd.no_grad():
        return int(q(nd.from_numpy(state[None])).argmax(1).item())


def td_loss(q, target_q, batch, gamma):
    """Huber loss between Q(s, a) and r + gamma * max_a' Q_target(s', a') (no bootstrap past a terminal state)."""
    states, actions, rewards, next_states, dones = batch
    q_sa = q(states).gather(1, actions.unsqueeze(1)).squeeze(1)
    with nd.no_grad():
        target = rewards + gamma * (1 - dones) * target_q(next_states).max(1).values
    return F.smooth_l1_loss(q_sa, target)


def evaluate(q, episodes, rng):
    """Mean episode length of the greedy policy."""
    env, lengths = CartPole(rng), []
    for _ in range(episodes):
        state, done = env.reset(), False
        while not done:
            state, _, terminated, truncated = env.step(greedy_action(q, state))
            done = terminated or truncated
        lengths.append(env.steps)
    return float(np.mean(lengths))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20000, help="environment steps of training")
    parser.add_argument("--learning-starts", type=int, default=1000, help="random steps before training")
    parser.add_argument("--buffer-size", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--gamma", type=float, default=0.99)
    parser.add_argument("--target-update", type=int, default=500, help="steps between target-network copies")
    parser.add_argument("--exploration-steps", type=int, default=10000, help="steps over which epsilon decays")
    parser.add_argument("--final-epsilon", type=float, default=0.02)
    parser.add_argument("--eval-every", type=int, default=2000, help="steps between greedy checkpoint evaluations")
    parser.add_argument("--eval-episodes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    nd.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    env = CartPole(rng)
    q, target_q = q_network(args.hidden), q_network(args.hidden)
    target_q.load_state_dict(q.state_dict())
    target_q.eval()
    optimizer = nd.optim.Adam(q.parameters(), lr=args.lr)
    buffer = ReplayBuffer(args.buffer_size, 4, rng)

    losses, episode_lengths = [], []
    checkpoint_rng, best_length, best_state = np.random.default_rng(args.seed + 1), -1.0, None
    state = env.reset()
    for step in range(args.steps):
        epsilon = max(args.final_epsilon, 1.0 - (1.0 - args.final_epsilon) * step / args.exploration_steps)
        action = int(rng.integers(2)) if rng.random() < epsilon else greedy_action(q, state)
        next_state, reward, terminated, truncated = env.step(action)
        buffer.add(state, action, reward, next_state, terminated)  # a time limit is no terminal state
        state = next_state
        if terminated or truncated:
            episode_lengths.append(env.steps)
            state = env.reset()
        if step >= args.learning_starts:
            loss = td_loss(q, target_q, buffer.sample(args.batch_size), args.gamma)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(q.parameters(), 10.0)
            optimizer.step()
            losses.append(loss.item())
            if step % args.target_update == 0:
                target_q.load_state_dict(q.state_dict())
        if (step + 1) % args.eval_every == 0 and step >= args.learning_starts:
            length = evaluate(q, 5, checkpoint_rng)
            if length >= best_length:
                best_length, best_state = length, {k: v.clone() for k, v in q.state_dict().items()}
            print(f"step {step + 1:6d}  epsilon {epsilon:.3f}  episodes {len(episode_lengths):4d}  "
                  f"mean length of the last 10 {np.mean(episode_lengths[-10:] or [0]):6.1f}  "
                  f"loss {np.mean(losses[-500:]):.4f}  greedy {length:6.1f}")
    if best_state is not None:
        q.load_state_dict(best_state)
    greedy = evaluate(q, args.eval_episodes, np.random.default_rng(args.seed + 2))
    print(f"final: the best checkpoint's greedy policy keeps the pole up {greedy:.1f} steps on average over "
          f"{args.eval_episodes} fresh episodes (a random policy: ~22; the limit: {CartPole.max_steps})")
    return {"losses": losses, "episode_lengths": episode_lengths, "greedy_length": greedy, "q": q}


if __name__ == "__main__":
    main()
