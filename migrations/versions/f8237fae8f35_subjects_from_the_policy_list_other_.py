"""subjects from the policy list: other names mapped, unknown ones blanked

Session templates, planned sessions and activities named their subject in free text, so 英语 or 奥数 passed as a
non-subject topic. Each value now names a subject of scheduling.policy.SUBJECTS (002 (二)3): another name of a
listed subject becomes that subject (英语 → 外语, 奥数 → 数学), any other value is blanked and logged (table, id,
old value) for the school to choose again. The lists are copied here as they stood: a migration does not follow
later changes of the policy module. Downgrade leaves the values as they are (the free text is not kept).

Revision ID: f8237fae8f35
Revises: a3fb7ccb7ca6
Create Date: 2026-12-02 01:07:32.177912

"""
import logging

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f8237fae8f35'
down_revision = 'a3fb7ccb7ca6'
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

SUBJECTS = ("道德与法治", "语文", "历史", "地理", "数学", "外语", "物理", "化学", "生物",
            "体育", "音乐", "美术", "科学", "信息技术", "劳动", "综合实践活动")
ALIASES = {
    "英语": "外语", "日语": "外语", "俄语": "外语", "奥数": "数学", "作文": "语文",
    "思想品德": "道德与法治", "品德与社会": "道德与法治", "政治": "道德与法治", "道德与法制": "道德与法治",
    "体育与健康": "体育", "信息技术教育": "信息技术", "信息科技": "信息技术",
}
TABLES = ("session_template", "planned_session", "activity")


def listed(value: str) -> str:
    """The listed subject a stored value names, or "" when it names none."""
    name = ALIASES.get(value.strip(), value.strip())
    return name if name in SUBJECTS else ""


def upgrade():
    connection = op.get_bind()
    for name in TABLES:
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("subject", sa.String))
        rows = connection.execute(sa.select(table.c.id, table.c.subject).where(table.c.subject != "")).all()
        for row_id, value in rows:
            subject = listed(value)
            if subject == value:
                continue
            if not subject:
                logger.warning("%s %s: subject %r is not on the list; blanked, choose it again", name, row_id, value)
            connection.execute(table.update().where(table.c.id == row_id).values(subject=subject))


def downgrade():
    pass
