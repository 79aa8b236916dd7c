from ninja import NinjaAPI

from jamana.assistant.api import router as assistant_router
from jamana.calls.api import router as calls_router
from jamana.documents.api import router as documents_router
from jamana.procedures.api import router as procedures_router

api = NinjaAPI(
    title="Jamana API",
    version="1",
    urls_namespace="api-v1",
    description="Public API of Jamana. Errors carry a stable `code`; never parse `message`.",
)
api.add_router("/", procedures_router)
api.add_router("/", documents_router)
api.add_router("/", calls_router)
api.add_router("/", assistant_router)
