// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IPhantomERC20, IPhantomV2Pair} from "./interfaces.sol";

/// @title PhantomArb
/// @notice Atomic two-pool Uniswap V2 arbitrage with no leg risk.
///
/// `execute` flash-swaps `amountBorrow` of `tokenBorrow` out of `pairBorrow`; in the
/// `uniswapV2Call` callback it sells that amount on `pairSell` directly through the pair, repays
/// `pairBorrow` with the exact required amount of the other token, and keeps the rest. The whole
/// transaction reverts unless the profit, measured as this contract's balance change of the other
/// token, is at least `minProfit`. The profit goes to the owner. Only the owner can call.
contract PhantomArb {
    string private constant PROFIT_BELOW_MINIMUM = "PhantomArb: profit below minimum";

    address public immutable owner;
    /// The pair whose callback is expected; set only for the duration of `execute`.
    address private activePair;

    struct Leg {
        address pairSell;
        address tokenBorrow;
        address tokenOther;
        uint256 amountBorrow;
        uint256 repay;
        uint256 minProfit;
    }

    event Arbitrage(
        address indexed pairBorrow,
        address indexed pairSell,
        address indexed tokenBorrow,
        address tokenProfit,
        uint256 amountBorrow,
        uint256 repaid,
        uint256 profit
    );

    constructor() {
        owner = msg.sender;
    }

    modifier onlyOwner() {
        require(msg.sender == owner, "PhantomArb: caller is not the owner");
        _;
    }

    /// @notice Borrow `amountBorrow` of `tokenBorrow` from `pairBorrow`, sell it on `pairSell`,
    /// repay `pairBorrow` in the pair's other token and send the profit (in that other token) to
    /// the owner. Reverts with "PhantomArb: profit below minimum" unless profit >= `minProfit`.
    /// @return profit The realised profit in the other token's base units.
    function execute(
        address pairBorrow,
        address pairSell,
        address tokenBorrow,
        uint256 amountBorrow,
        uint256 minProfit
    ) external onlyOwner returns (uint256 profit) {
        require(activePair == address(0), "PhantomArb: reentrant call");
        (Leg memory leg, bool borrowIsToken0) = _plan(pairBorrow, pairSell, tokenBorrow, amountBorrow);
        leg.minProfit = minProfit;

        uint256 balanceBefore = IPhantomERC20(leg.tokenOther).balanceOf(address(this));
        activePair = pairBorrow;
        if (borrowIsToken0) {
            IPhantomV2Pair(pairBorrow).swap(amountBorrow, 0, address(this), abi.encode(leg));
        } else {
            IPhantomV2Pair(pairBorrow).swap(0, amountBorrow, address(this), abi.encode(leg));
        }
        activePair = address(0);

        uint256 balanceAfter = IPhantomERC20(leg.tokenOther).balanceOf(address(this));
        require(balanceAfter >= balanceBefore + minProfit, PROFIT_BELOW_MINIMUM);
        profit = balanceAfter - balanceBefore;
        if (profit > 0) {
            _safeTransfer(leg.tokenOther, owner, profit);
        }
        emit Arbitrage(pairBorrow, pairSell, tokenBorrow, leg.tokenOther, amountBorrow, leg.repay, profit);
    }

    /// Validate the pairs and work out the other token and the exact repayment owed to
    /// `pairBorrow` (minProfit is left at 0 for the caller to fill in).
    function _plan(address pairBorrow, address pairSell, address tokenBorrow, uint256 amountBorrow)
        private
        view
        returns (Leg memory leg, bool borrowIsToken0)
    {
        require(pairBorrow != pairSell, "PhantomArb: pairs must differ");
        require(amountBorrow > 0, "PhantomArb: zero amount");
        address tokenOther;
        (tokenOther, borrowIsToken0) = _otherToken(pairBorrow, tokenBorrow);
        (address sell0, address sell1) = _tokens(pairSell);
        require(
            (sell0 == tokenBorrow && sell1 == tokenOther) || (sell0 == tokenOther && sell1 == tokenBorrow),
            "PhantomArb: pairs hold different tokens"
        );
        (uint256 reserveBorrow, uint256 reserveOther) = _reserves(pairBorrow, borrowIsToken0);
        require(amountBorrow < reserveBorrow, "PhantomArb: insufficient liquidity");
        leg = Leg({
            pairSell: pairSell,
            tokenBorrow: tokenBorrow,
            tokenOther: tokenOther,
            amountBorrow: amountBorrow,
            repay: getAmountIn(amountBorrow, reserveOther, reserveBorrow),
            minProfit: 0
        });
    }

    /// @notice Uniswap V2 flash-swap callback. Accepts only the pair `execute` is borrowing from,
    /// and only for a swap this contract initiated.
    function uniswapV2Call(address sender, uint256 amount0, uint256 amount1, bytes calldata data) external {
        require(msg.sender == activePair && msg.sender != address(0), "PhantomArb: unexpected caller");
        require(sender == address(this), "PhantomArb: unexpected initiator");
        Leg memory leg = abi.decode(data, (Leg));
        require(amount0 + amount1 == leg.amountBorrow, "PhantomArb: unexpected amount");

        bool borrowIsToken0OnSell = IPhantomV2Pair(leg.pairSell).token0() == leg.tokenBorrow;
        (uint256 reserveIn, uint256 reserveOut) = _reserves(leg.pairSell, borrowIsToken0OnSell);
        uint256 proceeds = getAmountOut(leg.amountBorrow, reserveIn, reserveOut);
        require(proceeds >= leg.repay + leg.minProfit, PROFIT_BELOW_MINIMUM);

        _safeTransfer(leg.tokenBorrow, leg.pairSell, leg.amountBorrow);
        if (borrowIsToken0OnSell) {
            IPhantomV2Pair(leg.pairSell).swap(0, proceeds, address(this), new bytes(0));
        } else {
            IPhantomV2Pair(leg.pairSell).swap(proceeds, 0, address(this), new bytes(0));
        }
        _safeTransfer(leg.tokenOther, msg.sender, leg.repay);
    }

    /// @notice What `execute` would do at the current reserves: the repayment owed to
    /// `pairBorrow` and the proceeds of the sale on `pairSell`, both in the other token.
    function quote(address pairBorrow, address pairSell, address tokenBorrow, uint256 amountBorrow)
        external
        view
        returns (uint256 repay, uint256 proceeds)
    {
        (, bool borrowIsToken0) = _otherToken(pairBorrow, tokenBorrow);
        (uint256 reserveBorrow, uint256 reserveOther) = _reserves(pairBorrow, borrowIsToken0);
        require(amountBorrow < reserveBorrow, "PhantomArb: insufficient liquidity");
        repay = getAmountIn(amountBorrow, reserveOther, reserveBorrow);
        bool borrowIsToken0OnSell = IPhantomV2Pair(pairSell).token0() == tokenBorrow;
        (uint256 reserveIn, uint256 reserveOut) = _reserves(pairSell, borrowIsToken0OnSell);
        proceeds = getAmountOut(amountBorrow, reserveIn, reserveOut);
    }

    /// @notice Send tokens held by this contract (e.g. sent to it by mistake) to `to`.
    function withdraw(address token, address to, uint256 amount) external onlyOwner {
        _safeTransfer(token, to, amount);
    }

    /// @notice Uniswap V2 output for `amountIn` (0.3% fee).
    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) public pure returns (uint256) {
        require(amountIn > 0, "PhantomArb: zero input");
        require(reserveIn > 0 && reserveOut > 0, "PhantomArb: empty reserves");
        uint256 amountInWithFee = amountIn * 997;
        return (amountInWithFee * reserveOut) / (reserveIn * 1000 + amountInWithFee);
    }

    /// @notice Uniswap V2 input needed for `amountOut` (0.3% fee, rounded up).
    function getAmountIn(uint256 amountOut, uint256 reserveIn, uint256 reserveOut) public pure returns (uint256) {
        require(amountOut > 0, "PhantomArb: zero output");
        require(reserveIn > 0 && reserveOut > amountOut, "PhantomArb: insufficient liquidity");
        return (reserveIn * amountOut * 1000) / ((reserveOut - amountOut) * 997) + 1;
    }

    function _tokens(address pair) private view returns (address token0, address token1) {
        token0 = IPhantomV2Pair(pair).token0();
        token1 = IPhantomV2Pair(pair).token1();
    }

    function _otherToken(address pair, address token) private view returns (address other, bool tokenIs0) {
        (address token0, address token1) = _tokens(pair);
        if (token == token0) {
            return (token1, true);
        }
        require(token == token1, "PhantomArb: token not in pair");
        return (token0, false);
    }

    /// Reserves of `pair` ordered as (token0 side first if `firstIs0`, else token1 side first).
    function _reserves(address pair, bool firstIs0) private view returns (uint256, uint256) {
        (uint112 r0, uint112 r1,) = IPhantomV2Pair(pair).getReserves();
        return firstIs0 ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
    }

    /// ERC20 transfer that accepts tokens returning nothing and rejects those returning false.
    function _safeTransfer(address token, address to, uint256 amount) private {
        require(token.code.length > 0, "PhantomArb: token has no code");
        (bool ok, bytes memory ret) = token.call(abi.encodeCall(IPhantomERC20.transfer, (to, amount)));
        require(ok && (ret.length == 0 || abi.decode(ret, (bool))), "PhantomArb: transfer failed");
    }
}
