"""Chain registry: the 15 chains of the seed plus the devnet, lookups and clear errors."""

from __future__ import annotations

import dataclasses

import pytest

from phantom.venues.evm.chains import GWEI, all_chains, get_chain
from phantom.venues.evm.errors import UnknownChain

EXPECTED = {
    1: ("ethereum", "ETH"),
    137: ("polygon", "POL"),
    42161: ("arbitrum", "ETH"),
    10: ("optimism", "ETH"),
    8453: ("base", "ETH"),
    56: ("bsc", "BNB"),
    43114: ("avalanche", "AVAX"),
    146: ("sonic", "S"),
    59144: ("linea", "ETH"),
    534352: ("scroll", "ETH"),
    5000: ("mantle", "MNT"),
    324: ("zksync", "ETH"),
    81457: ("blast", "ETH"),
    42220: ("celo", "CELO"),
    204: ("opbnb", "BNB"),
    31337: ("devnet", "ETH"),
}


def test_registry_holds_exactly_the_seed_chains_and_devnet() -> None:
    chains = all_chains()
    assert {c.chain_id: (c.key, c.native_symbol) for c in chains} == EXPECTED
    assert len({c.key for c in chains}) == len(chains)
    assert all(c.eip1559 and c.fee_notes for c in chains)


def test_no_endpoints_in_the_registry() -> None:
    names = {f.name for f in dataclasses.fields(all_chains()[0])}
    assert not any("url" in n or "rpc" in n or "endpoint" in n for n in names)


@pytest.mark.parametrize("ref", [42161, "42161", "arbitrum", "ARB", " Arbitrum One "])
def test_lookup_by_id_name_alias(ref: int | str) -> None:
    assert get_chain(ref).chain_id == 42161


def test_fee_model_flags() -> None:
    assert get_chain("arbitrum").priority_fee_ignored
    assert get_chain("bsc").base_fee_zero
    assert get_chain("polygon").min_priority_fee_wei == 25 * GWEI
    assert get_chain("optimism").l1_data_fee and not get_chain("ethereum").l1_data_fee
    assert str(get_chain(1)) == "Ethereum (1)"


@pytest.mark.parametrize("ref", [250, "250", "fantom", "FTM"])
def test_fantom_points_to_sonic(ref: int | str) -> None:
    with pytest.raises(UnknownChain, match=r"superseded by Sonic \(146\)"):
        get_chain(ref)


@pytest.mark.parametrize("ref", [999, "nope", ""])
def test_unknown_chain_lists_known_ones(ref: int | str) -> None:
    with pytest.raises(UnknownChain, match="known chains: ethereum=1"):
        get_chain(ref)
