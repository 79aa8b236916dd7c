"""Shared reference data: countries of the AES and their administrative map."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Country(models.TextChoices):
    MALI = "ML", _("Mali")
    BURKINA_FASO = "BF", _("Burkina Faso")
    NIGER = "NE", _("Niger")


class AreaLevel(models.TextChoices):
    REGION = "region", _("Region")
    DISTRICT = "district", _("District")
    PROVINCE = "province", _("Province")
    CERCLE = "cercle", _("Cercle")
    DEPARTMENT = "department", _("Department")
    COMMUNE = "commune", _("Commune")


class AdminArea(models.Model):
    """One administrative area, valid over a period.

    Areas are never deleted: a reform closes an area (``valid_to``) and opens its successors,
    so that old records (a birth in the former region of Mopti in 1987) still resolve.
    ``source`` names the legal text or data set the row comes from.
    """

    code = models.CharField(max_length=32, unique=True)
    country = models.CharField(max_length=2, choices=Country.choices)
    level = models.CharField(max_length=16, choices=AreaLevel.choices)
    name = models.CharField(max_length=128)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["country", "code"]
        indexes = [models.Index(fields=["country", "level", "name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gt=models.F("valid_from")),
                name="adminarea_period_is_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def is_valid_on(self, day: dt.date) -> bool:
        starts_ok = self.valid_from is None or self.valid_from <= day
        ends_ok = self.valid_to is None or day < self.valid_to
        return starts_ok and ends_ok

    def ancestors(self) -> list[AdminArea]:
        """Parents from the nearest up to the region (bounded: the map is at most 4 deep)."""
        chain: list[AdminArea] = []
        node = self.parent
        while node is not None and len(chain) < 6:
            chain.append(node)
            node = node.parent
        return chain

    def contains(self, other: AdminArea) -> bool:
        return other.pk == self.pk or any(a.pk == self.pk for a in other.ancestors())
