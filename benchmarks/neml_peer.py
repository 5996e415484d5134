"""Side-by-side with a real peer: neml's Taylor polycrystal.

Power-law slip, n = 20, no hardening, E = 2e5 with CRSS 50, 2 % strain
under its true uniaxial-stress driver, against texture_al's Taylor oracle, on a few textures and directions.

    pip install neml            # optional peer, not a texture_al dependency
    python benchmarks/neml_peer.py [--grains 100] [--directions 0,3,6,9,12,15]

neml loads along X only, so direction d is obtained by rotating the texture: with M_d = (t, w, c) as rows,
g' = g M_d^T puts t on X, w on Y and c on Z. Lateral ratios are plastic-rate ratios over the last increments.
"""

import argparse, time
import numpy as np, torch
from texture_al.taylor import TaylorOracle, DIR_T, DIR_W, DIR_C, DIRECTIONS
from texture_al.textures import component_orientations, random_orientations, symmetrize_sample, matrix_to_euler
from texture_al.gsh import euler_to_matrix
from texture_al.cli import set_threads


def neml_uniaxial(euler, weights, n=20.0, nsteps=40, emax=0.02):
    from neml.cp import polycrystal, crystallography, slipharden, sliprules, inelasticity, kinematics, singlecrystal
    from neml.math import rotations
    from neml import elasticity, drivers

    lattice = crystallography.CubicLattice(1.0)
    lattice.add_slip_system([1, 1, 0], [1, 1, 1])
    strength = slipharden.VoceSlipHardening(0.0, 1.0, 50.0)  # constant CRSS 50
    slip = sliprules.PowerLawSlipRule(strength, 1.0, n)
    kin = kinematics.StandardKinematicModel(
        elasticity.IsotropicLinearElasticModel(2.0e5, "youngs", 0.3, "poissons"), inelasticity.AsaroInelasticity(slip)
    )
    model = singlecrystal.SingleCrystalModel(kin, lattice)
    # neml's Taylor model averages grains with equal weight: repeat orientations by weight (weights here are equal)
    # neml wants active rotations (crystal -> sample): the passive matrix of these angles is g^T
    active = matrix_to_euler(np.swapaxes(euler_to_matrix(np.asarray(euler)).numpy(), -1, -2))
    ors = [rotations.CrystalOrientation(*e, angle_type="radians", convention="bunge") for e in active]
    pm = polycrystal.TaylorModel(model, ors, nthreads=2)
    res = drivers.uniaxial_test(pm, 1.0e-3, emax=emax, nsteps=nsteps, full_results=True)
    s, e = np.array(res["stress"]), np.array(res["strain"])
    de = e[-1] - e[-6]
    return s[-1, 0], de[1] / de[0], de[2] / de[0]


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--grains", type=int, default=100)
    ap.add_argument("--directions", default="0,3,6,9,12,15")
    ap.add_argument("--threads", type=int, help="CPU threads (default: $TEXTURE_AL_THREADS, else half the cores)")
    a = ap.parse_args()
    set_threads(a.threads)
    dirs = [int(x) for x in a.directions.split(",")]
    textures = {
        "random": symmetrize_sample(random_orientations(a.grains // 4, seed=1)),
        "copper 10deg": symmetrize_sample(component_orientations("copper", a.grains // 4, 10, seed=2)),
        "brass 10deg": symmetrize_sample(component_orientations("brass", a.grains // 4, 10, seed=3)),
    }
    oracle = TaylorOracle()
    worst_s, worst_l = 0.0, 0.0
    for name, (e, w) in textures.items():
        P = oracle((e, w))[0]
        g = euler_to_matrix(e).numpy()
        t0 = time.perf_counter()
        res = []
        for d in dirs:
            M = torch.stack([DIR_T[d], DIR_W[d], DIR_C[d]]).numpy()
            res.append(neml_uniaxial(matrix_to_euler(g @ M.T), w))
        res = np.array(res)
        ys = res[:, 0] / res[dirs.index(0), 0] if 0 in dirs else res[:, 0]
        print(f"{name} ({len(e)} orientations, neml {time.perf_counter() - t0:.0f} s)")
        for k, d in enumerate(dirs):
            print(
                f"  {DIRECTIONS[d]}: sigma ratio texture_al {P[d]:.4f} neml {ys[k]:.4f} | dw {P[18 + 2 * d]:+.3f} "
                f"{res[k, 1]:+.3f} | dc {P[19 + 2 * d]:+.3f} {res[k, 2]:+.3f}"
            )
            worst_s = max(worst_s, abs(P[d] - ys[k]) / ys[k])
            worst_l = max(worst_l, abs(P[18 + 2 * d] - res[k, 1]), abs(P[19 + 2 * d] - res[k, 2]))
    print(f"max relative yield-ratio difference {worst_s:.4f}; max lateral-ratio difference {worst_l:.3f}")
