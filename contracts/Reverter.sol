// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Reverter
/// @notice A switch for transaction-manager tests: `poke` succeeds while the switch is off and
/// reverts with a reason once `arm(true)` has been mined. So an `eth_call` of `poke` can pass and
/// the same transaction, mined after an `arm`, fails on chain.
contract Reverter {
    bool public armed;
    uint256 public pokes;

    event Poked(address indexed caller, uint256 count);
    event Armed(bool armed);

    function arm(bool on) external {
        armed = on;
        emit Armed(on);
    }

    function poke() external returns (uint256) {
        require(!armed, "Reverter: armed");
        pokes += 1;
        emit Poked(msg.sender, pokes);
        return pokes;
    }

    /// Reverts always, with the given reason.
    function fail(string calldata reason) external pure {
        revert(reason);
    }
}
