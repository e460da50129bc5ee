"""EVM venue: JSON-RPC/WebSocket clients, chain registry, fee pricing, nonces, the transaction
manager, keystore wallets, ERC-20 helpers and a Flashbots-style relay client.

See ``docs/evm-venue.md`` for the interface. Endpoints and limits come from settings; nothing here
holds a URL or a key at import time.
"""

from phantom.venues.evm.chains import Chain, all_chains, get_chain
from phantom.venues.evm.errors import (
    BroadcastFailed,
    BroadcastUncertain,
    EvmError,
    FeeCapExceeded,
    KeystoreError,
    MalformedResponse,
    ReceiptTimeout,
    RelayError,
    RpcError,
    RpcTimeout,
    RpcTransportError,
    SigningError,
    SimulationReverted,
    TxDropped,
    UnknownChain,
    WrongPassword,
)
from phantom.venues.evm.fees import FeePolicy, FeeQuote, fetch_fees, price_fees, replacement_fees
from phantom.venues.evm.keystore import (
    Keystore,
    password_from_env,
    prompt_password,
    signer_from_env,
)
from phantom.venues.evm.models import BlockHeader, FeeHistory, Log, Receipt, Transaction
from phantom.venues.evm.nonces import NonceManager, NonceReport
from phantom.venues.evm.relay import RelayClient, flashbots_signature
from phantom.venues.evm.revert import RevertReason, decode_revert
from phantom.venues.evm.rpc import RpcClient
from phantom.venues.evm.signer import SecretKey, Signer
from phantom.venues.evm.txmanager import TxManager
from phantom.venues.evm.txtypes import SentTx, TxOutcome, TxRequest
from phantom.venues.evm.wallet import Wallet, allowance, approve_exact, balance_of, native_balance
from phantom.venues.evm.ws import SyncEvent, WsClient

__all__ = [
    "BlockHeader",
    "BroadcastFailed",
    "BroadcastUncertain",
    "Chain",
    "EvmError",
    "FeeCapExceeded",
    "FeeHistory",
    "FeePolicy",
    "FeeQuote",
    "Keystore",
    "KeystoreError",
    "Log",
    "MalformedResponse",
    "NonceManager",
    "NonceReport",
    "Receipt",
    "ReceiptTimeout",
    "RelayClient",
    "RelayError",
    "RevertReason",
    "RpcClient",
    "RpcError",
    "RpcTimeout",
    "RpcTransportError",
    "SecretKey",
    "SentTx",
    "Signer",
    "SigningError",
    "SimulationReverted",
    "SyncEvent",
    "Transaction",
    "TxDropped",
    "TxManager",
    "TxOutcome",
    "TxRequest",
    "UnknownChain",
    "Wallet",
    "WrongPassword",
    "WsClient",
    "all_chains",
    "allowance",
    "approve_exact",
    "balance_of",
    "decode_revert",
    "fetch_fees",
    "flashbots_signature",
    "get_chain",
    "native_balance",
    "password_from_env",
    "price_fees",
    "prompt_password",
    "replacement_fees",
    "signer_from_env",
]
