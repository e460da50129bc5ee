// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Minimal ERC20 surface used by Phantom contracts.
interface IPhantomERC20 {
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
}

/// Minimal Uniswap V2 pair surface used by Phantom contracts.
interface IPhantomV2Pair {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}
