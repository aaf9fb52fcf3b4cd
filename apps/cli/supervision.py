"""`diagnose supervision`: train the score-mismatch model, detect and list flags, performance exports, provider subsidy."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click
from sqlmodel import Session

from apps.cli.context import command_engine
from apps.processes.jobs import detect_anomalies
from diagnose.services.supervision import supervision_export, supervision_model_store, supervision_review
from scoring.subsidy import fen_to_cny
from scoring.supervision import MIN_TRAINING_RECORDS, train


@click.group("supervision")
def supervision_command() -> None:
    """Bureau supervision: provider performance, anomaly flags and the provider subsidy."""


@supervision_command.command("train-model")
@click.option("--random-state", default=0, show_default=True, help="Fixed seed of the gradient boosting.")
def train_model(random_state: int) -> None:
    """Fit the score-mismatch model on accepted diagnoses and save it under var_dir/models (skops)."""
    settings, engine = command_engine()
    with Session(engine) as session:
        records = supervision_review.training_records(
            session=session, silence_timeout_s=settings.silence_timeout_s
        )
    if len(records) < MIN_TRAINING_RECORDS:
        raise click.ClickException(
            f"only {len(records)} accepted diagnoses; the model needs at least {MIN_TRAINING_RECORDS}"
        )
    model = train(records, random_state=random_state)
    path = supervision_model_store.save_model(model, settings.var_dir)
    click.echo(
        f"trained on {model.training_records} accepted diagnoses (data {model.training_hash[:12]}): "
        f"validation MAE {model.validation_mae:.3f}, R² {model.validation_r2:.3f}, "
        f"residual σ {model.residual_sigma:.3f} → {path}"
    )


@supervision_command.command("flags")
@click.option("--bureau", "bureau_id", type=int, required=True)
@click.option("--detect/--no-detect", default=True, show_default=True, help="Run detection first.")
@click.option("--status", type=click.Choice(["open", "decided", "all"]), default="open", show_default=True)
def flags(bureau_id: int, detect: bool, status: str) -> None:
    """Detect anomalies (rules, plus the model when trained) and list the bureau's flags as JSON lines."""
    settings, engine = command_engine()
    if detect:
        click.echo(f"new flags: {detect_anomalies(engine, settings)}", err=True)
    with Session(engine) as session:
        for flag, order, enterprise in supervision_review.list_flags(
            session=session, bureau_id=bureau_id, status=status
        ):
            row = {
                "id": flag.id,
                "order": order.number,
                "enterprise": enterprise.name,
                "provider_id": flag.provider_id,
                "kind": flag.kind,
                "strength": round(flag.strength, 3),
                "decision": flag.decision,
                "evidence": flag.evidence,
            }
            click.echo(json.dumps(row, ensure_ascii=False))


@supervision_command.command("performance")
@click.option("--bureau", "bureau_id", type=int, required=True)
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option(
    "--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Write CSV (UTF-8 BOM)."
)
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path), help="Write XLSX.")
def performance(
    bureau_id: int, start: datetime, end: datetime, csv_path: Path | None, xlsx_path: Path | None
) -> None:
    """The provider league table for orders assigned between --from and --to."""
    with Session(command_engine()[1]) as session:
        try:
            report = supervision_review.performance(
                session=session, bureau_id=bureau_id, start=start.date(), end=end.date()
            )
        except LookupError as exc:
            raise click.ClickException(str(exc)) from exc
    rows = supervision_export.league_rows(report)
    if csv_path:
        csv_path.write_bytes(supervision_export.to_csv_bytes(supervision_export.HEADERS, rows))
    if xlsx_path:
        xlsx_path.write_bytes(
            supervision_export.to_xlsx_bytes(supervision_export.HEADERS, rows, "服务商绩效")
        )
    if not csv_path and not xlsx_path:
        for row in report.rows:
            click.echo(
                json.dumps(
                    supervision_review.row_dict(row, report.providers[row.provider_id].name),
                    ensure_ascii=False,
                )
            )


@supervision_command.command("summary")
@click.option("--bureau", "bureau_id", type=int, required=True)
@click.option("--month", type=click.DateTime(["%Y-%m"]), required=True)
def summary(bureau_id: int, month: datetime) -> None:
    """Generate the bureau's monthly summary now (the scheduler does it for the previous month)."""
    with Session(command_engine()[1]) as session:
        row = supervision_review.monthly_summary(session=session, bureau_id=bureau_id, month=month.date())
        session.commit()
        click.echo(json.dumps(row.figures, ensure_ascii=False, indent=2))


@supervision_command.command("provider-subsidy")
@click.option("--year", type=int, required=True)
@click.option(
    "--unlisted", type=int, multiple=True, help="Provider id NOT on the city's solution-provider list."
)
def provider_subsidy(year: int, unlisted: tuple[int, ...]) -> None:
    """Each provider's Changzhou 62号 clause 7 subsidy from the platform's own orders (JSON lines)."""
    with Session(command_engine()[1]) as session:
        results = supervision_review.provider_subsidies(
            session=session, year=year, unlisted=frozenset(unlisted)
        )
    for provider, figures, line in results:
        row = {
            "provider_id": provider.id,
            "provider": provider.name,
            "year": year,
            "local_contract_cny": fen_to_cny(figures.local_contract_fen),
            "local_enterprises": figures.local_enterprises,
            "invoiced_cny": fen_to_cny(figures.invoiced_fen),
            "status": line.status,
            "subsidy_cny": fen_to_cny(line.amount_fen),
            "explanation": line.explanation,
            "source": f"{line.source_file} clause {line.clause}",
        }
        click.echo(json.dumps(row, ensure_ascii=False))
