from enum import StrEnum

class EventSource(StrEnum):
    AUTO = "auto"
    LOCAL = "local"
    MONGODB = "mongodb"
    MYSQL = "mysql"

    def __str__(self) -> str:
        return str(self.value)
