from typing import Any

from rest_framework import serializers

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Organisation
from hearth.clients.models import ClientRecord
from hearth.governance.models import AuditEvent


class MembershipSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name")
    organisation_id = serializers.IntegerField()

    class Meta:
        model = Membership
        fields = ["organisation_id", "organisation", "role"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    time_zone = serializers.CharField()
    active_membership = MembershipSerializer(allow_null=True)


class ClientRecordSerializer(serializers.ModelSerializer):
    presenting_summary = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Clinical free text. Omitted for roles that may not read it.",
    )
    therapist_id = serializers.IntegerField(required=False, allow_null=True)

    class Meta:
        model = ClientRecord
        fields = [
            "id",
            "given_name",
            "family_name",
            "preferred_name",
            "email",
            "phone",
            "therapist_id",
            "presenting_summary",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def to_representation(self, instance: ClientRecord) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("clinical_text", False):
            data.pop("presenting_summary", None)
        return data

    def validate_therapist_id(self, value: int | None) -> int | None:
        # Checked here (not only in the service) so the error names the API's field.
        organisation: Organisation = self.context["organisation"]
        if value is not None and not (
            Membership.objects.active()
            .filter(organisation=organisation, user_id=value, role__in=CLINICIAN_ROLES)
            .exists()
        ):
            raise serializers.ValidationError("Choose a therapist from this organisation.")
        return value

    def validate_presenting_summary(self, value: str) -> str:
        if not self.context.get("clinical_text", False):
            raise serializers.ValidationError("Your role does not write clinical text.")
        return value


class ClientRecordListSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClientRecord
        fields = ["id", "given_name", "family_name", "preferred_name", "therapist_id"]


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "created_at",
            "actor_id",
            "actor_email",
            "action",
            "object_type",
            "object_id",
            "ip",
            "reason",
            "changes",
            "hash",
        ]
