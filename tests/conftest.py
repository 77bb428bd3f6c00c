"""Settings for every test that starts `inferd serve`."""
import os

# gRPC listens on 8081 by default; the servers the tests start serve no gRPC unless a test asks
# for it (--grpc-port), so servers running side by side never compete for that port.
os.environ.setdefault("INFERD_GRPC_PORT", "0")
